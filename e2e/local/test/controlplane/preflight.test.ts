import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { checkTools } from "../../controlplane/cluster.ts";
import { assertPortFree } from "../../controlplane/processes.ts";

describe("pre-flight checks", () => {
  test("a missing tool names the Debian package that provides it", () => {
    // A PATH holding every required tool except openssl.
    const dir = mkdtempSync(join(tmpdir(), "mdb-path-"));
    try {
      for (const tool of ["ip", "nsenter", "unshare", "mount", "bash", "go"]) {
        symlinkSync(execFileSync("/bin/sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim(), join(dir, tool));
      }
      assert.doesNotThrow(() => checkTools(process.env));
      assert.throws(() => checkTools({ ...process.env, PATH: dir }), /'openssl' is not installed: install the Debian package openssl \(apt-get install -y openssl\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a port in use is reported with its owner and how to choose another", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    try {
      await assert.rejects(assertPortFree("127.0.0.1", port, "etcd (client)", "MDB_ETCD_PORT"),
        new RegExp(`port ${port} on 127.0.0.1 \\(for etcd \\(client\\)\\) is in use by another process.*MDB_ETCD_PORT=PORT`));
    } finally {
      server.close();
    }
    await assertPortFree("127.0.0.1", port, "etcd (client)", "MDB_ETCD_PORT"); // free again once closed
  });
});
