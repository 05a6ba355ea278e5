import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { resolveSpec } from "../../src/api/defaults.ts";
import { buildMemberPod, buildMemberPvc } from "../../src/resources/member-pod.ts";
import { buildClientService, buildHeadlessService, buildPodDisruptionBudget } from "../../src/resources/cluster-objects.ts";
import { parseMemberName } from "../../src/resources/names.ts";
import { replacementName } from "../../src/planner/index.ts";
import { makeCluster } from "../controller/fixtures.ts";
import { restrictedViolations } from "../../../testing/pod-security.ts";

const cluster = makeCluster({ shards: 3, auth: {} });
const pod = (specIn = {}) => buildMemberPod({ cluster, spec: resolveSpec(specIn, { engine: "mdbcluster/engine-valkey:1", sidecar: "mdbcluster/node:1" }), member: "demo-1-0", shard: 1, node: "a1-h2", hostLabelValue: "a1-h2" });

describe("member pod", () => {
  test("pinned to the chosen node by required node affinity on the host label (the scheduler still checks resources and taints)", () => {
    const p = pod();
    assert.equal(p.spec!.nodeName, undefined, "nodeName would bypass the scheduler");
    assert.deepEqual(p.spec!.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms,
      [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: ["a1-h2"] }] }]);
  });

  test("non-root, read-only root filesystem, no capabilities, RuntimeDefault seccomp, no API token", () => {
    const p = pod();
    assert.equal(p.spec!.securityContext!.runAsNonRoot, true);
    assert.equal(p.spec!.securityContext!.seccompProfile!.type, "RuntimeDefault");
    assert.equal(p.spec!.automountServiceAccountToken, false);
    for (const c of [...p.spec!.initContainers!, ...p.spec!.containers]) {
      assert.equal(c.securityContext!.readOnlyRootFilesystem, true, c.name);
      assert.deepEqual(c.securityContext!.capabilities!.drop, ["ALL"], c.name);
      assert.equal(c.securityContext!.allowPrivilegeEscalation, false, c.name);
    }
  });

  test("passes the restricted Pod Security Standard, every container (the init container too) as uid 10001 of the images, data writable through fsGroup", () => {
    for (const spec of [{}, { persistence: { enabled: true } }, { engine: { image: "valkey/valkey:9.0" } }]) {
      const p = pod(spec);
      assert.deepEqual(restrictedViolations(p.spec!), [], JSON.stringify(spec));
      assert.deepEqual([p.spec!.securityContext!.runAsUser, p.spec!.securityContext!.runAsGroup, p.spec!.securityContext!.fsGroup], [10001, 10001, 10001]);
    }
  });

  test("the restricted check refuses what the level forbids (so the test above can fail)", () => {
    const p = pod();
    const loose = { ...p.spec!, securityContext: { fsGroup: 10001 }, initContainers: p.spec!.initContainers!.map((c) => ({ ...c, securityContext: { ...c.securityContext, allowPrivilegeEscalation: true } })) };
    assert.deepEqual(restrictedViolations(loose).filter((v) => v.startsWith("container engine-config")), [
      "container engine-config: allowPrivilegeEscalation must be false",
      "container engine-config: seccompProfile must be RuntimeDefault or Localhost (pod or container), is undefined",
    ]);
  });

  test("the engine runs from the engine image with the config the sidecar's image rendered into a shared volume first", () => {
    const p = pod({ engine: { image: "valkey/valkey:9.0" } });
    const [init] = p.spec!.initContainers!;
    const [engine, sidecar] = p.spec!.containers;
    assert.equal(init.image, "mdbcluster/node:1");
    assert.deepEqual(init.command, ["mdb-sidecar", "render-config", "--out", "/etc/mdb/engine/engine.conf"]);
    assert.equal(engine.image, "valkey/valkey:9.0");
    assert.deepEqual(engine.command!.slice(0, 2), ["sh", "-c"]);
    assert.equal(engine.command!.at(-1), "/etc/mdb/engine/engine.conf");
    assert.equal(sidecar.image, "mdbcluster/node:1");
    assert.deepEqual(engine.volumeMounts!.find((m) => m.name === "engine-config"), { name: "engine-config", mountPath: "/etc/mdb/engine", readOnly: true });
    assert.equal(engine.volumeMounts!.find((m) => m.name === "auth"), undefined, "the engine reads its password from the rendered config only");
    assert.equal(p.spec!.volumes!.find((v) => v.name === "engine-config")!.emptyDir!.medium, "Memory", "the config holds the password: kept off disk");
    assert.equal(pod().spec!.containers[0].image, "mdbcluster/engine-valkey:1", "without spec.engine.image: the operator's engine image");
  });

  test("a malformed spec.engine.image is refused naming the field", () => {
    assert.throws(() => pod({ engine: { image: "valkey valkey" } }), /spec\.engine\.image: "valkey valkey" is not an image reference/);
  });

  test("probes: readiness and liveness from the sidecar's health port, the engine's port for liveness", () => {
    const [engine, sidecar] = pod().spec!.containers;
    assert.equal(sidecar.readinessProbe!.httpGet!.path, "/readyz");
    assert.equal(sidecar.livenessProbe!.httpGet!.path, "/livez");
    assert.equal(engine.livenessProbe!.tcpSocket!.port, 6379);
  });

  test("resources from the spec; engine settings and a stable announced name in the environment", () => {
    const p = pod({ resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { memory: "2Gi" } }, engine: { maxMemory: "1gb", nodeTimeoutMs: 2000 } });
    const [engine, sidecar] = p.spec!.containers;
    assert.deepEqual(engine.resources, { requests: { cpu: "1", memory: "1Gi" }, limits: { memory: "2Gi" } });
    const env = Object.fromEntries(p.spec!.initContainers![0].env!.filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
    assert.equal(env.MDB_MAXMEMORY, "1gb");
    assert.equal(env.MDB_NODE_TIMEOUT_MS, "2000");
    assert.equal(env.MDB_ANNOUNCE_HOSTNAME, "demo-1-0.demo-members.ns.svc");
    const sidecarEnv = Object.fromEntries(sidecar.env!.filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
    assert.equal(sidecarEnv.MDB_NODE_TIMEOUT_MS, "2000", "the sidecar puts the spec's timeout back after a forming cluster's shorter one");
  });

  test("the spec's durability in the engine-config init container's environment (it renders min-replicas-to-write from it); async by default", () => {
    const durabilityOf = (specIn: object) => pod(specIn).spec!.initContainers![0].env!.find((e) => e.name === "MDB_DURABILITY")?.value;
    assert.deepEqual([durabilityOf({}), durabilityOf({ durability: "async" }), durabilityOf({ durability: "replicated" })], ["async", "async", "replicated"]);
    assert.equal(pod({ durability: "replicated" }).spec!.containers[1].env!.find((e) => e.name === "MDB_DURABILITY"), undefined, "the sidecar does not read it");
  });

  test("data on an emptyDir without persistence, on the member's claim with it", () => {
    assert.ok(pod().spec!.volumes!.find((v) => v.name === "data")!.emptyDir);
    assert.equal(pod({ persistence: { enabled: true } }).spec!.volumes!.find((v) => v.name === "data")!.persistentVolumeClaim!.claimName, "data-demo-1-0");
    const pvc = buildMemberPvc(cluster, resolveSpec({ persistence: { enabled: true, size: "5Gi", storageClassName: "fast" } }, { engine: "engine-img", sidecar: "img" }), "demo-1-0", 1);
    assert.deepEqual(pvc.spec, { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "5Gi" } }, storageClassName: "fast" });
  });

  test("owned by the cluster (controller reference), labelled by cluster, shard and member", () => {
    const p = pod();
    assert.deepEqual(p.metadata!.ownerReferences, [{ apiVersion: "mdbcluster.io/v1alpha1", kind: "MdbCluster", name: "demo", uid: "uid-1", controller: true, blockOwnerDeletion: true }]);
    assert.equal(p.metadata!.labels!["mdbcluster.io/shard"], "1");
    assert.equal(p.metadata!.labels!["mdbcluster.io/member"], "demo-1-0");
  });

  test("a user's password Secret is mounted instead of the generated one", () => {
    const own = buildMemberPod({ cluster: makeCluster({ auth: { secretName: "mine" } }), spec: resolveSpec({ auth: { secretName: "mine" } }, { engine: "engine-img", sidecar: "img" }), member: "demo-0-0", shard: 0, node: "n", hostLabelValue: "n" });
    assert.equal(own.spec!.volumes!.find((v) => v.name === "auth")!.secret!.secretName, "mine");
  });
});

describe("cluster objects", () => {
  test("headless Service publishes members before they are ready (the cluster forms through it)", () => {
    const s = buildHeadlessService(cluster);
    assert.equal(s.spec!.clusterIP, "None");
    assert.equal(s.spec!.publishNotReadyAddresses, true);
  });
  test("client Service and PDB select the members", () => {
    assert.deepEqual(buildClientService(cluster).spec!.selector, { "mdbcluster.io/cluster": "demo", "app.kubernetes.io/component": "member" });
    // minAvailable, not maxUnavailable: the disruption controller would count shards (the scale subresource), not pods.
    const shapes = [[3, 1], [1, 1], [1, 0], [3, 0], [2, 2]].map(([shards, replicasPerShard]) => ({ shards, replicasPerShard }));
    // One member down by choice at a time; without standbys none (each member is its shard's last).
    assert.deepEqual(shapes.map((s) => buildPodDisruptionBudget(cluster, s).spec!.minAvailable), [5, 1, 1, 3, 5]);
    assert.equal(buildPodDisruptionBudget(cluster, shapes[0]).spec!.maxUnavailable, undefined);
  });
  test("member names parse back; other names do not", () => {
    assert.deepEqual(parseMemberName("demo", "demo-12-3"), { shard: 12, index: 3, replacement: 0 });
    // A replacement member's name (the planner's replacementName) parses to the member it replaces.
    assert.deepEqual(parseMemberName("demo", replacementName("demo-12-3", new Set())), { shard: 12, index: 3, replacement: 1 });
    assert.deepEqual(parseMemberName("demo", replacementName("demo-12-3-r1", new Set(["demo-12-3-r2"]))), { shard: 12, index: 3, replacement: 3 });
    assert.equal(parseMemberName("demo", "demo-1-0-rx"), undefined);
    assert.equal(parseMemberName("demo", "demo-x-3"), undefined);
    assert.equal(parseMemberName("de.mo", "deXmo-1-0"), undefined);
  });
});
