import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { MountpointTracker } from "../../podrunner/mountpoints.ts";

describe("mount point tracker", () => {
  const root = mkdtempSync(join(tmpdir(), "mdb-mountpoints-"));
  after(() => rmSync(root, { recursive: true, force: true }));

  test("creates missing targets, remembers them across instances, and removes only what it made and is empty", () => {
    const record = join(root, "mountpoints.json");
    const hosts = join(root, "hosts");
    writeFileSync(hosts, "");
    mkdirSync(join(root, "existing"));
    const fileSource = join(root, "src-file");
    writeFileSync(fileSource, "x");
    const mounts = [
      { source: join(root, "vol-a"), target: join(root, "existing", "a", "b"), readOnly: false },
      { source: join(root, "vol-nested"), target: join(root, "existing", "a", "b", "inner"), readOnly: true },
      { source: fileSource, target: join(root, "existing", "conf", "file.conf"), readOnly: true },
    ];
    new MountpointTracker(record).prepare(mounts, hosts);
    assert.ok(existsSync(join(root, "vol-a")), "a missing source directory is created");
    assert.ok(existsSync(join(root, "existing", "a", "b")), "the target exists");
    assert.ok(existsSync(join(root, "vol-a", "inner")), "the nested target lives inside its parent volume");
    assert.ok(!existsSync(join(root, "existing", "a", "b", "inner")), "…not on the host under the parent's mount point");
    assert.ok(existsSync(join(root, "existing", "conf", "file.conf")), "a file source gets a file mount point");

    writeFileSync(join(root, "existing", "a", "someone-elses"), "keep me");
    const left = new MountpointTracker(record).cleanup(); // a new instance reads the record
    assert.ok(!existsSync(join(root, "existing", "conf")), "created directories are removed");
    assert.ok(existsSync(join(root, "existing")), "a directory that existed before is kept");
    assert.ok(existsSync(join(root, "existing", "a", "someone-elses")), "foreign content is never removed");
    assert.deepEqual(left, [join(root, "existing", "a")], "a created directory that is no longer empty is left and reported");
  });

  test("a missing hosts file is refused by name", () => {
    assert.throws(() => new MountpointTracker(join(root, "r2.json")).prepare([], join(root, "nope")), /the pod's hosts file .*nope is missing/);
  });
});
