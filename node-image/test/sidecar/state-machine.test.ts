import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  canTransition, checkTransition, InvalidTransitionError, memberStates, reconciledState, restoredState,
  requireState, WrongStateError, type EngineObservation, type MemberStateName,
} from "../../src/sidecar/state-machine.ts";

/** Fluent fixture for what the sidecar sees of its engine. */
function engine() {
  const obs: EngineObservation = { nodeId: "n1", role: "primary", slotsOwned: 0, importingOrMigrating: false, knownPeers: 2, keys: 0 };
  const b = {
    nodeId: (id: string) => ((obs.nodeId = id), b),
    replica: () => ((obs.role = "replica"), b),
    slots: (n: number) => ((obs.slotsOwned = n), b),
    moving: () => ((obs.importingOrMigrating = true), b),
    alone: () => ((obs.knownPeers = 0), b),
    obj: () => ({ ...obs }),
  };
  return b;
}

describe("transition table (docs/architecture.md#member-states)", () => {
  const allowed: [MemberStateName, MemberStateName][] = [
    ["OFFLINE", "ONLINE"], ["ONLINE", "MIGRATING"], ["ONLINE", "STANDBY"], ["ONLINE", "OFFLINE"],
    ["MIGRATING", "ACTIVE"], ["MIGRATING", "ONLINE"], ["ACTIVE", "MIGRATING"], ["ACTIVE", "STANDBY"],
    ["STANDBY", "ACTIVE"], ["RECOVERED", "STANDBY"],
  ];
  for (const [from, to] of allowed) test(`${from} → ${to} is allowed`, () => assert.ok(canTransition(from, to)));
  for (const from of memberStates.filter((s) => s !== "RECOVERED")) {
    test(`${from} → RECOVERED is allowed (any state, after a failure)`, () => assert.ok(canTransition(from, "RECOVERED")));
  }
  const refused: [MemberStateName, MemberStateName][] = [
    ["OFFLINE", "ACTIVE"], ["ONLINE", "ACTIVE"], ["RECOVERED", "ACTIVE"], ["RECOVERED", "ONLINE"],
    ["STANDBY", "MIGRATING"], ["ACTIVE", "ONLINE"], ["ACTIVE", "OFFLINE"], ["MIGRATING", "STANDBY"],
  ];
  for (const [from, to] of refused) test(`${from} → ${to} is refused`, () => assert.equal(canTransition(from, to), false));
  for (const s of memberStates) test(`${s} → ${s} is not a transition`, () => assert.equal(canTransition(s, s), false));
});

describe("error messages name current, requested and allowed states", () => {
  test("checkTransition", () => {
    assert.throws(() => checkTransition("RECOVERED", "ACTIVE", "Promote"), (err: unknown) => {
      assert.ok(err instanceof InvalidTransitionError);
      assert.match(err.message, /Promote/);
      assert.match(err.message, /member is RECOVERED/);
      assert.match(err.message, /RECOVERED → ACTIVE/);
      assert.match(err.message, /may go to STANDBY/);
      return true;
    });
  });
  test("requireState", () => {
    assert.throws(() => requireState("ACTIVE", ["ONLINE", "RECOVERED"], "Reset", "move its slots away first"),
      (err: unknown) => err instanceof WrongStateError && /Reset is allowed only when the member is ONLINE or RECOVERED; it is ACTIVE: move its slots away first/.test(err.message));
    assert.doesNotThrow(() => requireState("ONLINE", ["ONLINE", "RECOVERED"], "Reset"));
  });
});

describe("restoredState: where a restarted member comes back", () => {
  const cases: { name: string; persisted: { state: MemberStateName; engineNodeId: string; engineHadKeys?: boolean } | undefined; engine: EngineObservation; want: MemberStateName }[] = [
    { name: "ACTIVE, same node id but the dataset is gone (persistence off)", persisted: { state: "ACTIVE", engineNodeId: "n1", engineHadKeys: true }, engine: engine().slots(5461).obj(), want: "RECOVERED" },
    { name: "ACTIVE, same node id, was empty before and is empty now", persisted: { state: "ACTIVE", engineNodeId: "n1", engineHadKeys: false }, engine: engine().slots(5461).obj(), want: "ACTIVE" },
    { name: "first start", persisted: undefined, engine: engine().alone().obj(), want: "ONLINE" },
    { name: "ACTIVE, engine kept its data", persisted: { state: "ACTIVE", engineNodeId: "n1" }, engine: engine().slots(5461).obj(), want: "ACTIVE" },
    { name: "ACTIVE, engine has a new node id (nodes.conf lost)", persisted: { state: "ACTIVE", engineNodeId: "n1" }, engine: engine().nodeId("n9").alone().obj(), want: "RECOVERED" },
    { name: "STANDBY, engine forgot the cluster", persisted: { state: "STANDBY", engineNodeId: "n1" }, engine: engine().replica().alone().obj(), want: "RECOVERED" },
    { name: "STANDBY, still a replica", persisted: { state: "STANDBY", engineNodeId: "n1" }, engine: engine().replica().obj(), want: "STANDBY" },
    { name: "ACTIVE, failed over while down (now a replica)", persisted: { state: "ACTIVE", engineNodeId: "n1" }, engine: engine().replica().obj(), want: "STANDBY" },
    { name: "RECOVERED stays RECOVERED until it resyncs", persisted: { state: "RECOVERED", engineNodeId: "n1" }, engine: engine().replica().obj(), want: "RECOVERED" },
    { name: "ONLINE with a fresh engine", persisted: { state: "ONLINE", engineNodeId: "n1" }, engine: engine().nodeId("n2").alone().obj(), want: "ONLINE" },
    { name: "OFFLINE comes back ONLINE", persisted: { state: "OFFLINE", engineNodeId: "" }, engine: engine().obj(), want: "ONLINE" },
  ];
  for (const c of cases) test(c.name, () => assert.equal(restoredState(c.persisted, c.engine), c.want));
});

describe("reconciledState: changes the engine forces", () => {
  const cases: { name: string; current: MemberStateName; engine: EngineObservation; running?: boolean; want: MemberStateName | undefined }[] = [
    { name: "switched over: ACTIVE engine became a replica", current: "ACTIVE", engine: engine().replica().obj(), want: "STANDBY" },
    { name: "failed over: STANDBY engine became a primary with slots", current: "STANDBY", engine: engine().slots(100).obj(), want: "ACTIVE" },
    { name: "source of a scale-in: ACTIVE with migrating slots", current: "ACTIVE", engine: engine().slots(100).moving().obj(), want: "MIGRATING" },
    { name: "all slots moved away: ACTIVE with none", current: "ACTIVE", engine: engine().obj(), want: "MIGRATING" },
    { name: "scale-in done: MIGRATING with no slots", current: "MIGRATING", engine: engine().obj(), want: "ONLINE" },
    { name: "scale-out done: MIGRATING with slots", current: "MIGRATING", engine: engine().slots(10).obj(), want: "ACTIVE" },
    { name: "import running here keeps MIGRATING", current: "MIGRATING", engine: engine().slots(10).obj(), running: true, want: undefined },
    { name: "steady ACTIVE", current: "ACTIVE", engine: engine().slots(10).obj(), want: undefined },
    { name: "RECOVERED is left only by ReplicateFrom", current: "RECOVERED", engine: engine().replica().obj(), want: undefined },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const next = reconciledState(c.current, c.engine, c.running ?? false);
      assert.equal(next, c.want);
      if (next) assert.ok(canTransition(c.current, next), `${c.current} → ${next} must be in the table`);
    });
  }
});
