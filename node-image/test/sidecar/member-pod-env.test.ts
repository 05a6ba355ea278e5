// The operator's member pod (operator/src/resources/member-pod.ts) as the member image reads it: every
// variable in its containers is the member-env contract's (common/member-env.ts), the engine container
// renders the spec's settings and the sidecar container serves with the mounted secrets.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { MemberEnv, POD_IP_FIELD } from "../../../common/member-env.ts";
import { buildMemberPod } from "../../../operator/src/resources/member-pod.ts";
import { resolveSpec } from "../../../operator/src/api/defaults.ts";
import type { MdbCluster } from "../../../operator/src/api/types.ts";
import { parseEngineSettings } from "../../src/sidecar/engine-config.ts";
import { parseSidecarSettings } from "../../src/sidecar/settings.ts";
import { memberTlsSecretName } from "../../../operator/src/resources/names.ts";
import { MEMBER_TLS_KEYS } from "../../../operator/src/resources/tls-secrets.ts";

const POD_IP = "10.1.2.3";

/** The environment the kubelet hands the container: the values as given, the pod IP from the downward API. */
function asKubelet(vars: readonly { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[]): Record<string, string> {
  return Object.fromEntries(vars.map((v) => {
    if (v.value !== undefined) return [v.name, v.value];
    assert.equal(v.valueFrom?.fieldRef?.fieldPath, POD_IP_FIELD, `${v.name}: only the pod IP comes from the downward API`);
    return [v.name, POD_IP];
  }));
}

describe("member env: the operator's member pod as the member image reads it", () => {
  const cluster: MdbCluster = { apiVersion: "mdbcluster.io/v1alpha1", kind: "MdbCluster", metadata: { name: "demo", namespace: "ns", uid: "uid-1" }, spec: { shards: 3 } };
  const spec = resolveSpec({ shards: 3, replicasPerShard: 2, engine: { maxMemory: "1gb", maxMemoryPolicy: "allkeys-lfu", nodeTimeoutMs: 2000, appendOnly: false }, durability: "replicated", logLevel: "debug" }, { engine: "mdbcluster/engine-valkey:1", sidecar: "mdbcluster/node:1" });
  const pod = buildMemberPod({ cluster, spec, member: "demo-1-0", shard: 1, node: "n1", hostLabelValue: "n1" });
  const [engine, sidecar] = pod.spec!.containers;
  const [renderConfig] = pod.spec!.initContainers!;
  const contract = new Set<string>(Object.values(MemberEnv));

  test("every variable in the containers is the contract's", () => {
    for (const c of [renderConfig, engine, sidecar]) assert.deepEqual(c.env!.map((v) => v.name).filter((name) => !contract.has(name)), [], c.name);
  });

  test("the engine-config init container renders the spec's settings", () => {
    assert.deepEqual(parseEngineSettings(asKubelet(renderConfig.env!)), {
      podIp: POD_IP, announceHostname: "demo-1-0.demo-members.ns.svc", enginePort: 6379, nodeTimeoutMs: 2000, maxMemory: "1gb",
      maxMemoryPolicy: "allkeys-lfu", dataDir: "/data", appendOnly: false, replicas: 2, durability: "replicated",
    });
  });

  test("the sidecar container serves with the mounted secrets", () => {
    // The member's TLS Secret, as mounted: the volume names the member's Secret, its keys are the files.
    const tlsVolume = pod.spec!.volumes!.find((v) => v.secret?.secretName === memberTlsSecretName("demo-1-0"));
    const tlsDir = sidecar.volumeMounts!.find((m) => m.name === tlsVolume?.name)?.mountPath;
    assert.ok(tlsDir, "the sidecar mounts the member's TLS Secret");
    const files: Record<string, string> = {
      "/etc/mdb/auth/password": "p4ssw0rd-0123456789\n", "/etc/mdb/sidecar/token": "t".repeat(40),
      ...Object.fromEntries(Object.values(MEMBER_TLS_KEYS).map((key) => [`${tlsDir}/${key}`, `PEM of ${key}`])),
    };
    const s = parseSidecarSettings(asKubelet(sidecar.env!), (p) => {
      if (!(p in files)) throw Object.assign(new Error("no such file"), { code: "ENOENT" });
      return Buffer.from(files[p]);
    });
    assert.deepEqual([s.podIp, s.enginePort, s.enginePassword, s.dataDir, s.sidecarPort, s.healthPort, s.auth.bearerToken, s.nodeTimeoutMs],
      [POD_IP, 6379, "p4ssw0rd-0123456789", "/data", 7070, 7071, "t".repeat(40), 2000]);
    assert.deepEqual([s.auth.tls?.caPem.toString(), s.auth.tls?.certPem.toString(), s.auth.tls?.keyPem.toString()], ["PEM of ca.crt", "PEM of tls.crt", "PEM of tls.key"], "mTLS with the member's TLS Secret");
    assert.equal(s.logLevel, "debug", "the spec's logLevel");
    assert.deepEqual(s.identity, { namespace: "ns", cluster: "demo", member: "demo-1-0", shard: 1 }, "who the member is, for its log lines and metrics");
  });

  test("the sidecar listens where the pod's named ports say: grpc, health, metrics", () => {
    const s = parseSidecarSettings(asKubelet(sidecar.env!), () => Buffer.from("x".repeat(40)));
    const port = (name: string) => sidecar.ports!.find((p) => p.name === name)?.containerPort;
    assert.deepEqual([port("grpc"), port("health"), port("metrics")], [s.sidecarPort, s.healthPort, s.metricsPort]);
    assert.deepEqual(sidecar.ports!.map((p) => p.name), ["grpc", "health", "metrics"]);
    assert.equal(sidecar.readinessProbe!.httpGet!.port, s.healthPort);
  });
});
