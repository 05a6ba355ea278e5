import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readMemberState, stateFilePath, writeMemberState } from "../../src/sidecar/state-store.ts";

test("member state round-trips through the data dir, leaving no temp file", () => {
  const dir = mkdtempSync(join(tmpdir(), "mdb-state-"));
  try {
    const path = stateFilePath(dir);
    assert.equal(readMemberState(path), undefined);
    writeMemberState(path, { state: "ACTIVE", engineNodeId: "a".repeat(40), engineHadKeys: true, updatedAtMs: 1, reason: "test" });
    writeMemberState(path, { state: "STANDBY", engineNodeId: "a".repeat(40), engineHadKeys: true, updatedAtMs: 2, reason: "switchover" });
    assert.deepEqual(readMemberState(path), { state: "STANDBY", engineNodeId: "a".repeat(40), engineHadKeys: true, updatedAtMs: 2, reason: "switchover" });
    assert.deepEqual(readdirSync(dir), ["mdb-member-state.json"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a corrupt state file is refused with its path and what to do", () => {
  const dir = mkdtempSync(join(tmpdir(), "mdb-state-"));
  try {
    const path = stateFilePath(dir);
    writeFileSync(path, "{not json");
    assert.throws(() => readMemberState(path), (err: Error) => err.message.includes(path) && /delete it/.test(err.message));
    writeFileSync(path, JSON.stringify({ state: "DANCING" }));
    assert.throws(() => readMemberState(path), /field "state" is "DANCING", expected one of OFFLINE/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
