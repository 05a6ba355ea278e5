import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lockFileOf, withStateLock } from "../../controlplane/state-lock.ts";

describe("state dir lock", () => {
  const stateDir = () => join(mkdtempSync(join(tmpdir(), "mdb-lock-")), "state");

  test("one holder at a time; the holder may re-enter (cluster:up cleaning up through cluster:down)", async () => {
    const dir = stateDir();
    const order: string[] = [];
    const first = withStateLock(dir, async () => {
      order.push("first in");
      assert.equal(readFileSync(lockFileOf(dir), "utf8"), String(process.pid));
      await withStateLock(dir, async () => { order.push("re-entered"); });
      await new Promise((r) => setTimeout(r, 50));
      order.push("first out");
    });
    assert.equal(await withStateLock(dir, async () => "done"), "done", "the same process waits for nothing it holds itself");
    await first;
    assert.deepEqual(order, ["first in", "re-entered", "first out"]);
    assert.equal(existsSync(lockFileOf(dir)), false, "released");
    rmSync(join(dir, ".."), { recursive: true, force: true });
  });

  test("another live process's lock is waited for, then refused with its pid and what to do; a dead one's is taken over", async () => {
    const dir = stateDir();
    const other = spawn("sleep", ["30"]);
    try {
      writeFileSync(lockFileOf(dir), String(other.pid));
      const lines: string[] = [];
      await assert.rejects(withStateLock(dir, async () => "never", { waitMs: 300, log: (l) => lines.push(l) }),
        new RegExp(`another cluster:up or cluster:down \\(pid ${other.pid}\\) is still working on .*; wait for it, or use another MDB_LOCAL_DIR`));
      assert.match(lines.join("\n"), new RegExp(`waiting for pid ${other.pid}`));
    } finally {
      other.kill("SIGKILL");
      await new Promise((r) => other.once("exit", r));
    }
    assert.equal(await withStateLock(dir, async () => "taken over"), "taken over", "a lock whose owner died is stale");
    rmSync(join(dir, ".."), { recursive: true, force: true });
  });
});
