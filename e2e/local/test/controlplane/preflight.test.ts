import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { checkTools } from "../../controlplane/cluster.ts";
import { assertPortFree } from "../../controlplane/processes.ts";
import { inotifyShortage, INOTIFY_PER_REAL_NODE } from "../../controlplane/node-modes.ts";

describe("pre-flight checks", () => {
  test("real nodes the inotify limit cannot hold are refused with the sysctl that fixes it", () => {
    assert.equal(inotifyShortage(6, 128, 10), undefined, "a quiet machine has room for 6 nodes");
    const msg = inotifyShortage(6, 128, 104);
    assert.match(msg ?? "", /fs\.inotify\.max_user_instances is 128 and 104 are in use: 6 real nodes need about 36 more/);
    assert.match(msg ?? "", /sysctl -w fs\.inotify\.max_user_instances=512/);
    assert.equal(inotifyShortage(6, 128, 128 - 6 * INOTIFY_PER_REAL_NODE), undefined, "exactly enough");
  });

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
