import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { waitFor } from "../../common/wait.ts";
import { silentLogger } from "../src/runtime/log.ts";
import { FakeMembers } from "../src/sidecar/fake.ts";
import { SidecarPool } from "../src/sidecar/pool.ts";

describe("SidecarPool", () => {
  test("a status change enqueues the cluster; the latest status is kept; a closed member is forgotten", async () => {
    const fake = new FakeMembers();
    fake.add("demo-0-0", "10.0.0.1");
    fake.add("demo-0-1", "10.0.0.2");
    const changes: string[] = [];
    const pool = new SidecarPool((e) => fake.client(e.member), (key, member) => changes.push(`${key} ${member}`), silentLogger(), 10);
    pool.sync("ns/demo", [{ member: "demo-0-0", address: "10.0.0.1:7070", token: "t" }, { member: "demo-0-1", address: "10.0.0.2:7070", token: "t" }]);
    await waitFor(() => changes.length === 2, { what: "both first statuses" });
    await pool.client("ns/demo", "demo-0-0")!.join([{ host: "10.0.0.2", port: 6379 }]);
    await waitFor(() => pool.observed("ns/demo", "demo-0-0").status?.clusterKnownNodes === 2, { what: "the joined status" });
    assert.ok(changes.filter((c) => c.endsWith("demo-0-0")).length >= 2, "the change enqueued the cluster again");
    pool.sync("ns/demo", [{ member: "demo-0-1", address: "10.0.0.2:7070", token: "t" }]);
    assert.equal(pool.client("ns/demo", "demo-0-0"), undefined);
    assert.deepEqual(pool.observed("ns/demo", "demo-0-0"), {});
    pool.closeAll();
  });
});
