import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { validateMigrateSlotsRequest, withOtherPrimaries, MigrationRequestError, MIGRATION_DEFAULTS, clusterViewOf, planSlot } from "../../src/migration/index.ts";

/** Fluent builder of a valid request; each case breaks one thing. */
class RequestBuilder {
  private readonly fields: Record<string, unknown> = {
    source: { host: "127.0.1.1", port: 6379 },
    target: { host: "127.0.1.4", port: 6379 },
    slots: [0, 1, 2],
  };

  set(name: string, value: unknown): this {
    this.fields[name] = value;
    return this;
  }

  obj(): Record<string, unknown> {
    return { ...this.fields };
  }
}
const makeRequest = (): RequestBuilder => new RequestBuilder();

describe("validateMigrateSlotsRequest", () => {
  test("accepts a minimal request and fills in every default", () => {
    const req = validateMigrateSlotsRequest(makeRequest().obj());
    assert.deepEqual(req.slots, [0, 1, 2]);
    assert.equal(req.batchKeys, MIGRATION_DEFAULTS.batchKeys);
    assert.equal(req.window, MIGRATION_DEFAULTS.window);
    assert.equal(req.parallelSlots, MIGRATION_DEFAULTS.parallelSlots);
    assert.equal(req.otherPrimaries, undefined, "unset: the sidecar fills in the cluster's other primaries");
    assert.equal(req.atomicMigration, "auto");
    assert.deepEqual(req.guard, { enabled: true, budgetFactor: 0, budgetMs: 0, floorKeysPerSecond: 2000 }, "the guard is on by default");
  });

  test("keeps optional fields it was given", () => {
    const req = validateMigrateSlotsRequest(makeRequest()
      .set("password", "pw").set("batchKeys", 500).set("rate", { keysPerSecond: 0, bytesPerSecond: 10 })
      .set("schedule", [{ start: "23:00", end: "07:00", rate: { keysPerSecond: 100 } }])
      .set("guard", { disabled: true, budgetFactor: 3, budgetMs: 4.5, floorKeysPerSecond: 100 }).obj());
    assert.equal(req.batchKeys, 500);
    assert.deepEqual(req.rate, { bytesPerSecond: 10 }, "0 means unlimited and is dropped");
    assert.equal(req.schedule?.[0].start, "23:00");
    assert.deepEqual(req.guard, { enabled: false, budgetFactor: 3, budgetMs: 4.5, floorKeysPerSecond: 100 });
  });

  test("slots may be numbers and { start, end } ranges, expanded in order", () => {
    assert.deepEqual(validateMigrateSlotsRequest(makeRequest().set("slots", [7, { start: 1, end: 3 }]).obj()).slots, [7, 1, 2, 3]);
  });

  test("0 for a guard number means its default, as an unset proto3 field", () => {
    assert.deepEqual(validateMigrateSlotsRequest(makeRequest().set("guard", { budgetFactor: 0, budgetMs: 0, floorKeysPerSecond: 0 }).obj()).guard,
      { enabled: true, budgetFactor: 0, budgetMs: 0, floorKeysPerSecond: 2000 });
  });

  test("withOtherPrimaries keeps the check: the source and target are never told as peers", () => {
    const req = validateMigrateSlotsRequest(makeRequest().obj());
    const filled = withOtherPrimaries(req, [{ host: "127.0.1.1", port: 6379 }, { host: "127.0.1.2", port: 6379 }]);
    assert.deepEqual(filled.otherPrimaries, [{ host: "127.0.1.2", port: 6379 }]);
  });

  const bad: [string, unknown, string, RegExp][] = [
    ["not an object", "x", "request", /expected an object/],
    ["unknown field", makeRequest().set("slot", 3).obj(), "slot", /unknown field/],
    ["source missing", makeRequest().set("source", undefined).obj(), "source", /is required \(the \{ host, port \}/],
    ["empty host", makeRequest().set("target", { host: "", port: 1 }).obj(), "target.host", /is required \(an IPv4 address or DNS name\)/],
    ["malformed IP", makeRequest().set("target", { host: "999.1.1.1", port: 1 }).obj(), "target.host", /"999\.1\.1\.1" is not an IPv4 address or DNS name/],
    ["port out of range", makeRequest().set("source", { host: "a", port: 70000 }).obj(), "source.port", /1\.\.65535/],
    ["bus port out of range", makeRequest().set("source", { host: "a", port: 7000, busPort: 70000 }).obj(), "source.busPort", /1\.\.65535/],
    ["source is target", makeRequest().set("target", { host: "127.0.1.1", port: 6379 }).obj(), "source", /same engine as the target/],
    ["no slots", makeRequest().set("slots", []).obj(), "slots", /must name at least one slot/],
    ["range end before start", makeRequest().set("slots", [{ start: 5, end: 4 }]).obj(), "slots[0]", /end 4 is before start 5/],
    ["range edge out of range", makeRequest().set("slots", [{ start: 0, end: 16384 }]).obj(), "slots[0].end", /0\.\.16383/],
    ["overlapping ranges", makeRequest().set("slots", [{ start: 0, end: 5 }, { start: 5, end: 6 }]).obj(), "slots[1]", /slot 5 is listed twice/],
    ["guard not an object", makeRequest().set("guard", true).obj(), "guard", /expected \{ disabled\?/],
    ["guard unknown field", makeRequest().set("guard", { budget: 2 }).obj(), "guard.budget", /unknown field/],
    ["guard disabled not a boolean", makeRequest().set("guard", { disabled: "yes" }).obj(), "guard.disabled", /true or false/],
    ["guard factor below 1.1", makeRequest().set("guard", { budgetFactor: 1 }).obj(), "guard.budgetFactor", /1\.1\.\.100.*idle p99/],
    ["guard budget negative", makeRequest().set("guard", { budgetMs: -1 }).obj(), "guard.budgetMs", /0\.1\.\.10000/],
    ["guard floor fractional", makeRequest().set("guard", { floorKeysPerSecond: 1.5 }).obj(), "guard.floorKeysPerSecond", /integer 1\.\.10000000, got number 1\.5; the guard never paces below it/],
    ["slot too big", makeRequest().set("slots", [1, 16384]).obj(), "slots[1]", /0\.\.16383/],
    ["fractional slot", makeRequest().set("slots", [1.5]).obj(), "slots[0]", /slot number/],
    ["duplicate slot", makeRequest().set("slots", [4, 4]).obj(), "slots[1]", /listed twice/],
    ["other primary is the source", makeRequest().set("otherPrimaries", [{ host: "127.0.1.1", port: 6379 }]).obj(), "otherPrimaries[0]", /source or target/],
    ["username without password", makeRequest().set("username", "u").obj(), "password", /required when username/],
    ["batchKeys zero", makeRequest().set("batchKeys", 0).obj(), "batchKeys", /1\.\.10000/],
    ["window as a string", makeRequest().set("window", "8").obj(), "window", /integer 1\.\.256/],
    ["negative rate", makeRequest().set("rate", { keysPerSecond: -1 }).obj(), "rate.keysPerSecond", /≥ 0/],
    ["unknown rate field", makeRequest().set("rate", { opsPerSecond: 1 }).obj(), "rate.opsPerSecond", /unknown field/],
    ["schedule time malformed", makeRequest().set("schedule", [{ start: "7:00", end: "08:00", rate: {} }]).obj(), "schedule[0].start", /"HH:MM"/],
    ["schedule hour 24", makeRequest().set("schedule", [{ start: "22:00", end: "24:00", rate: {} }]).obj(), "schedule[0].end", /00:00\.\.23:59/],
    ["empty schedule window", makeRequest().set("schedule", [{ start: "08:00", end: "08:00", rate: {} }]).obj(), "schedule[0].end", /empty window/],
    ["schedule without rate", makeRequest().set("schedule", [{ start: "08:00", end: "09:00" }]).obj(), "schedule[0].rate", /keysPerSecond/],
    ["bad atomic mode", makeRequest().set("atomicMigration", "always").obj(), "atomicMigration", /"auto" or "never"/],
  ];
  for (const [why, input, field, message] of bad) {
    test(`refuses ${why}, naming ${field}`, () => {
      assert.throws(() => validateMigrateSlotsRequest(input), (err: unknown) => {
        assert.ok(err instanceof MigrationRequestError);
        assert.equal(err.field, field);
        assert.match(err.message, message);
        assert.ok(err.message.startsWith(`${field}: `));
        return true;
      });
    });
  }
});

const SOURCE = "a".repeat(40);
const TARGET = "b".repeat(40);
const OTHER = "c".repeat(40);

function nodesText(me: string, lines: Record<string, string>): string {
  return Object.entries(lines).map(([id, slots]) => {
    const flags = id === me ? "myself,master" : "master";
    return `${id} 127.0.1.${id[0] === "a" ? 1 : id[0] === "b" ? 4 : 2}:6379@16379 ${flags} - 0 0 1 connected ${slots}`.trim();
  }).join("\n");
}

describe("cluster view and per-slot plan", () => {
  test("parses owners, ranges and this engine's migrating/importing markers", () => {
    const view = clusterViewOf(nodesText(SOURCE, { [SOURCE]: `0-2 5 [2->-${TARGET}]`, [TARGET]: "3-4", [OTHER]: "" }));
    assert.equal(view.myId, SOURCE);
    assert.deepEqual(view.owners.slice(0, 6), [SOURCE, SOURCE, SOURCE, TARGET, TARGET, SOURCE]);
    assert.equal(view.migrating.get(2), TARGET);
    assert.equal(view.importing.size, 0);
    assert.equal(view.nodes.get(TARGET)?.address, "127.0.1.4:6379");
  });

  const source = clusterViewOf(nodesText(SOURCE, { [SOURCE]: `0-1 [1->-${TARGET}]`, [TARGET]: "2-3", [OTHER]: "4" }));
  const target = clusterViewOf(nodesText(TARGET, { [SOURCE]: "0-1", [TARGET]: `2-3 [1-<-${SOURCE}]`, [OTHER]: "4" }));
  const targetAhead = clusterViewOf(nodesText(TARGET, { [SOURCE]: "0", [TARGET]: "1-3", [OTHER]: "4" }));
  // The source gave slot 5 to the target; the target still sees the source as its owner.
  const sourceGave = clusterViewOf(nodesText(SOURCE, { [SOURCE]: "0-1", [TARGET]: "2-3 5", [OTHER]: "4" }));
  const targetLost = clusterViewOf(nodesText(TARGET, { [SOURCE]: "0-1 5", [TARGET]: "2-3", [OTHER]: "4" }));
  const cases: [string, number, typeof target, string][] = [
    ["the source owns it: migrate", 0, target, "migrate"],
    ["half-moved (migrating/importing): migrate again, it continues", 1, target, "migrate"],
    ["the target owns it and the source agrees: done", 2, target, "done"],
    ["the target claimed it but the source still migrates it: finalize", 1, targetAhead, "finalize"],
    ["a third node owns it: refuse", 4, target, "refuse"],
    ["nobody owns it: refuse", 100, target, "refuse"],
  ];
  for (const [why, slot, targetView, kind] of cases) {
    test(why, () => assert.equal(planSlot(slot, source, targetView).kind, kind));
  }
  test("the source gave it to the target but the target lost its claim: reclaim", () => {
    assert.equal(planSlot(5, sourceGave, targetLost).kind, "reclaim");
    assert.equal(planSlot(5, sourceGave, clusterViewOf(nodesText(TARGET, { [SOURCE]: "0-1", [TARGET]: "2-3 5", [OTHER]: "4" }))).kind, "done");
  });

  test("a refusal says who owns the slot and what to do", () => {
    const plan = planSlot(4, source, target);
    assert.equal(plan.kind, "refuse");
    assert.match(plan.kind === "refuse" ? plan.reason : "", new RegExp(`owned by node ${OTHER}, not by the source ${SOURCE}; plan the move from its owner`));
  });
});
