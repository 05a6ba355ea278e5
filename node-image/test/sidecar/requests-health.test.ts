import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { validateAddress, validateNodeId, validatePromoteMode, validateSlotRanges } from "../../src/sidecar/requests.ts";
import { InvalidArgumentError } from "../../src/sidecar/errors.ts";
import { judgeLiveness, judgeReadiness, type ReadinessInput } from "../../src/sidecar/health.ts";

const refusesField = (fn: () => unknown, field: string) =>
  assert.throws(fn, (err: unknown) => err instanceof InvalidArgumentError && err.field === field && err.code === "INVALID_ARGUMENT");

describe("request validation names the field", () => {
  test("slot above 16383", () => refusesField(() => validateSlotRanges([{ start: 0, end: 16384 }], "slots"), "slots[0].end"));
  test("negative slot", () => refusesField(() => validateSlotRanges([{ start: 1, end: 2 }, { start: -1, end: 3 }], "slots"), "slots[1].start"));
  test("end before start", () => refusesField(() => validateSlotRanges([{ start: 9, end: 3 }], "slots"), "slots[0]"));
  test("overlapping ranges", () => refusesField(() => validateSlotRanges([{ start: 0, end: 10 }, { start: 5, end: 20 }], "slots"), "slots"));
  test("no ranges", () => refusesField(() => validateSlotRanges([], "slots"), "slots"));
  test("ranges come back sorted", () => assert.deepEqual(validateSlotRanges([{ start: 10, end: 11 }, { start: 0, end: 0 }], "s"), [{ start: 0, end: 0 }, { start: 10, end: 11 }]));
  test("address without host", () => refusesField(() => validateAddress({ port: 6379 }, "source"), "source.host"));
  test("address with a bad host", () => refusesField(() => validateAddress({ host: "300.1.1.1", port: 6379 }, "source"), "source.host"));
  test("address with port 0", () => refusesField(() => validateAddress({ host: "10.0.0.1", port: 0 }, "peers[2]"), "peers[2].port"));
  test("missing address", () => refusesField(() => validateAddress(null, "source"), "source"));
  test("bus port defaults to port + 10000", () => assert.equal(validateAddress({ host: "10.0.0.1", port: 6379 }, "a").busPort, 16379));
  test("a DNS name is accepted", () => assert.equal(validateAddress({ host: "m-0.mdb.ns.svc", port: 6379 }, "a").host, "m-0.mdb.ns.svc"));
  test("node id not hex", () => refusesField(() => validateNodeId("xyz", "nodeId"), "nodeId"));
  test("node id missing", () => refusesField(() => validateNodeId("", "primaryNodeId"), "primaryNodeId"));
  test("promote mode unspecified", () => refusesField(() => validatePromoteMode("PROMOTE_MODE_UNSPECIFIED"), "mode"));
  test("promote mode by number", () => assert.equal(validatePromoteMode(2), "FORCE"));
});

function ready(): ReadinessInput {
  return { state: "ACTIVE", engineUp: true, role: "primary", slotsOwned: 5461, clusterState: "ok", linkUp: false, syncInProgress: false };
}

describe("readiness: only when the member serves its role", () => {
  const cases: [string, Partial<ReadinessInput>, boolean, RegExp][] = [
    ["ACTIVE primary with slots and cluster ok", {}, true, /ACTIVE with 5461 slots/],
    ["ACTIVE but cluster_state fail", { clusterState: "fail" }, false, /cluster_state is fail/],
    ["ACTIVE without slots", { slotsOwned: 0 }, false, /owns no slots/],
    ["engine down", { engineUp: false }, false, /not answering/],
    ["STANDBY with link up", { state: "STANDBY", role: "replica", slotsOwned: 0, linkUp: true }, true, /link up/],
    ["STANDBY still syncing", { state: "STANDBY", role: "replica", linkUp: true, syncInProgress: true }, false, /down or syncing/],
    ["STANDBY with link down", { state: "STANDBY", role: "replica" }, false, /down or syncing/],
    ["STANDBY that does not see the whole slot map", { state: "STANDBY", role: "replica", linkUp: true, clusterState: "fail" }, false, /cluster_state is fail/],
    ["MIGRATING primary that owns slots (moving some out or in)", { state: "MIGRATING" }, true, /MIGRATING with 5461 slots/],
    ["MIGRATING target that owns no slot yet", { state: "MIGRATING", slotsOwned: 0 }, false, /owning no slots/],
    ["ONLINE", { state: "ONLINE" }, false, /ONLINE/],
    ["RECOVERED", { state: "RECOVERED" }, false, /RECOVERED/],
  ];
  for (const [name, patch, ok, reason] of cases) {
    test(name, () => {
      const j = judgeReadiness({ ...ready(), ...patch });
      assert.equal(j.ok, ok);
      assert.match(j.reason, reason);
    });
  }
});

describe("liveness: fails when the observe loop stops ticking", () => {
  test("recent tick", () => assert.equal(judgeLiveness(10_000, 9_000, 5000).ok, true));
  test("stale tick", () => {
    const j = judgeLiveness(20_000, 9_000, 5000);
    assert.equal(j.ok, false);
    assert.match(j.reason, /11000 ms ago .* wedged/);
  });
});
