import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  clusterEngineSummary, compareVersions, engineIdentityOf, enginesCompatible, unsupportedEngineReason,
} from "../engine-image.ts";

const info = (fields: Record<string, string>) => new Map(Object.entries(fields));

describe("engine identity from INFO server", () => {
  test("Valkey reports valkey_version beside its compatibility redis_version; atomic slot migration from 9.0", () => {
    assert.deepEqual(engineIdentityOf(info({ redis_version: "7.2.4", valkey_version: "9.1.2", server_name: "valkey" })),
      { name: "valkey", version: "9.1.2", capabilities: ["atomic-slot-migration"] });
    assert.deepEqual(engineIdentityOf(info({ redis_version: "7.2.4", valkey_version: "8.1.1" })), { name: "valkey", version: "8.1.1", capabilities: [] });
  });
  test("Redis reports redis_version only", () => {
    assert.deepEqual(engineIdentityOf(info({ redis_version: "7.0.15" })), { name: "redis", version: "7.0.15", capabilities: [] });
  });
  test("no version: unknown", () => assert.equal(engineIdentityOf(info({})), undefined));
});

describe("supported engines and compatible pairs", () => {
  test("Redis ≥ 7.0 and Valkey ≥ 8 are supported; older ones are refused saying what to use", () => {
    assert.equal(unsupportedEngineReason({ name: "redis", version: "7.0.15", capabilities: [] }), undefined);
    assert.equal(unsupportedEngineReason({ name: "valkey", version: "8.0.0", capabilities: [] }), undefined);
    assert.match(unsupportedEngineReason({ name: "redis", version: "6.2.14", capabilities: [] })!, /redis 6\.2\.14 is older than the oldest supported redis \(7\.0\.0\); use an image of Valkey >= 8 or Redis >= 7\.0/);
    assert.match(unsupportedEngineReason({ name: "valkey", version: "7.2.5", capabilities: [] })!, /valkey 7\.2\.5 is older/);
  });
  test("versions compare numerically, part by part", () => {
    assert.ok(compareVersions("9.1.10", "9.1.9") > 0);
    assert.ok(compareVersions("10.0", "9.9.9") > 0);
    assert.equal(compareVersions("9.1", "9.1.0"), 0);
  });
  test("slots move only between the same engine at the same major.minor", () => {
    assert.equal(enginesCompatible({ name: "valkey", version: "9.1.2" }, { name: "valkey", version: "9.1.0" }), true);
    assert.equal(enginesCompatible({ name: "valkey", version: "9.1.2" }, { name: "valkey", version: "9.0.0" }), false);
    assert.equal(enginesCompatible({ name: "redis", version: "7.0.15" }, { name: "valkey", version: "9.1.2" }), false);
  });
  test("status.engine names every engine seen, once, sorted; empty before any report", () => {
    assert.equal(clusterEngineSummary([{ name: "valkey", version: "9.1.2" }, null, { name: "valkey", version: "9.1.2" }]), "valkey 9.1.2");
    assert.equal(clusterEngineSummary([{ name: "valkey", version: "9.1.2" }, { name: "redis", version: "7.0.15" }]), "redis 7.0.15, valkey 9.1.2");
    assert.equal(clusterEngineSummary([undefined, null]), "");
  });
});
