import assert from "node:assert/strict";
import { test } from "node:test";
import { namesDir } from "../../controlplane/processes.ts";

test("a process names a state dir only as a whole path, not another dir that starts with its name", () => {
  const dir = "/work/main/.mdb-local";
  assert.equal(namesDir("etcd --data-dir=/work/main/.mdb-local/etcd --log-level=warn", dir), true);
  assert.equal(namesDir("kube-apiserver --cert-dir /work/main/.mdb-local", dir), true);
  assert.equal(namesDir("HOME=/root\0MDB_LOCAL_DIR=/work/main/.mdb-local\0PATH=/bin", `MDB_LOCAL_DIR=${dir}`), true);
  // A second proving ground beside it (README, "Two proving grounds on one machine").
  assert.equal(namesDir("etcd --data-dir=/work/main/.mdb-local-bench/etcd", dir), false);
  assert.equal(namesDir("MDB_LOCAL_DIR=/work/main/.mdb-local-rec\0", `MDB_LOCAL_DIR=${dir}`), false);
  assert.equal(namesDir("x /work/main/.mdb-local2 y /work/main/.mdb-local/pki", dir), true, "a later whole mention counts");
});
