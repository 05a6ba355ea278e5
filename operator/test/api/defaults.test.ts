import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { resolveSpec, SpecError } from "../../src/api/defaults.ts";
import { memberRequests, placementPolicy } from "../../src/api/planner-inputs.ts";
import type { MdbClusterSpec } from "../../src/api/types.ts";

describe("resolveSpec", () => {
  test("an empty spec takes every default; the image falls back to the operator's", () => {
    const s = resolveSpec({}, { engine: "mdbcluster/engine-valkey:9.1.2", sidecar: "mdbcluster/node:0.1.0" });
    assert.equal(s.shards, 3);
    assert.equal(s.replicasPerShard, 1);
    assert.equal(s.engine.image, "mdbcluster/engine-valkey:9.1.2");
    assert.equal(s.sidecarImage, "mdbcluster/node:0.1.0");
    assert.equal(s.placement.isolationLevel, "zone");
    assert.equal(s.placement.topologyKeys.rack, "topology.mdbcluster.io/rack");
  });

  const bad: [string, MdbClusterSpec, string, RegExp][] = [
    ["zero shards", { shards: 0 }, "spec.shards", /1\.\.1000/],
    ["fractional standbys", { replicasPerShard: 1.5 }, "spec.replicasPerShard", /integer/],
    ["unparsable cpu", { resources: { requests: { cpu: "lots" } } }, "spec.resources.requests.cpu", /not a Kubernetes quantity/],
    ["limit below request", { resources: { requests: { memory: "1Gi" }, limits: { memory: "512Mi" } } }, "spec.resources.limits.memory", /below the request/],
    ["huge window", { migration: { window: 1000 } }, "spec.migration.window", /1\.\.64/],
  ];
  for (const [name, spec, field, message] of bad) {
    test(`refuses ${name}, naming ${field}`, () => {
      assert.throws(() => resolveSpec(spec, { engine: "engine-img", sidecar: "img" }), (err: unknown) => err instanceof SpecError && err.field === field && message.test(err.message));
    });
  }

  test("a missing spec is named", () => assert.throws(() => resolveSpec(undefined, { engine: "engine-img", sidecar: "img" }), /spec: is required/));
});

describe("planner inputs", () => {
  test("a member requests its engine plus the sidecar", () => {
    const r = memberRequests(resolveSpec({ resources: { requests: { cpu: "250m", memory: "256Mi" } } }, { engine: "engine-img", sidecar: "img" }));
    assert.deepEqual(r, { milliCpu: 300, memoryBytes: (256 + 64) * 2 ** 20 }, "the sidecar's default request: 50m, 64Mi");
    const sized = memberRequests(resolveSpec({ resources: { requests: { cpu: "250m", memory: "256Mi" } }, sidecar: { resources: { requests: { cpu: "20m", memory: "80Mi" } } } }, { engine: "engine-img", sidecar: "img" }));
    assert.deepEqual(sized, { milliCpu: 270, memoryBytes: (256 + 80) * 2 ** 20 });
  });

  test("placement policy carries selector, tolerations, keys, isolation and the per-host limit", () => {
    const p = placementPolicy(resolveSpec({ placement: { nodeSelector: { pool: "db" }, tolerations: [{ key: "dedicated", operator: "Exists" }], isolationLevel: "rack", maxMembersPerHost: 2 } }, { engine: "engine-img", sidecar: "img" }));
    assert.deepEqual(p.nodeSelector, { pool: "db" });
    assert.deepEqual(p.tolerations, [{ key: "dedicated", operator: "Exists" }]);
    assert.equal(p.isolationLevel, "rack");
    assert.equal(p.maxMembersPerHost, 2);
  });

  test("TLS for clients on our engine image built without TLS is refused before any pod, naming spec.tls.enabled; other images pass", () => {
    const defaults = { engine: "mdbcluster/engine-valkey:9.1.2", sidecar: "img" };
    for (const image of [undefined, "mdbcluster/engine-valkey:9.1.2", "localhost:5000/mirror/mdbcluster/engine-valkey@sha256:ab12"]) {
      assert.throws(() => resolveSpec({ tls: { enabled: true }, ...(image ? { engine: { image } } : {}) }, defaults),
        (e: Error) => e instanceof SpecError && e.field === "spec.tls.enabled" && /built without TLS.*mdbcluster\/engine-redis:7\.0/.test(e.message), image ?? "the default image");
    }
    for (const image of ["mdbcluster/engine-redis:7.0", "valkey/valkey:9", "example/mdbcluster/engine-valkey-tls:1"]) {
      assert.equal(resolveSpec({ tls: { enabled: true }, engine: { image } }, defaults).engine.image, image);
    }
    assert.equal(resolveSpec({}, defaults).tls.enabled, false, "without TLS the default image serves");
  });

  test("replicated durability without a standby is refused, naming spec.durability", () => {
    assert.throws(() => resolveSpec({ shards: 1, replicasPerShard: 0, durability: "replicated" }, { engine: "engine-img", sidecar: "img" }), (e: Error) => e instanceof SpecError && e.field === "spec.durability" && /replicasPerShard/.test(e.message));
    assert.equal(resolveSpec({ shards: 1, replicasPerShard: 1, durability: "replicated" }, { engine: "engine-img", sidecar: "img" }).durability, "replicated");
  });
});
