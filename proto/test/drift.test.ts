import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { generateStubs, generatedDir, listFiles } from "../gen.ts";

test("generated sidecar stubs match the proto (run `npm run proto:gen` when this fails)", () => {
  const fresh = mkdtempSync(join(tmpdir(), "mdb-proto-drift-"));
  try {
    generateStubs(fresh);
    const freshFiles = listFiles(fresh).map((f) => relative(fresh, f));
    const committedFiles = listFiles(generatedDir).map((f) => relative(generatedDir, f));
    assert.deepEqual(committedFiles, freshFiles,
      "proto/generated/ has missing or extra files compared to the proto: run npm run proto:gen");
    for (const file of freshFiles) {
      const want = readFileSync(join(fresh, file), "utf8");
      const have = readFileSync(join(generatedDir, file), "utf8");
      assert.ok(want === have, `proto/generated/${file} differs from the proto: run npm run proto:gen`);
    }
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
});
