import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseClusterInfo } from "../../cluster-info.ts";
import { parseControlRequest, splitPodRef } from "../../podrunner/control.ts";
import { peerNames, renderHostsFile } from "../../podrunner/hosts.ts";
import { intToIp, IpAllocator, ipToInt, parsePodRange } from "../../podrunner/ipam.ts";
import { hostMountpoint } from "../../podrunner/mountpoints.ts";
import { nodeConditions } from "../../podrunner/nodes.ts";
import { sandboxNames } from "../../podrunner/sandbox.ts";
import { LocalProvisioner, PROVISIONER, volumeForClaim } from "../../podrunner/storage.ts";

describe("pod IPs", () => {
  test("pod ranges parse in the contract's forms and bad ones are named", () => {
    const cases: [string, { first: string; last: string }][] = [
      ["10.244.1.0/24..10.244.255.254", { first: "10.244.1.2", last: "10.244.255.254" }],
      ["10.244.1.0-10.244.255.254", { first: "10.244.1.2", last: "10.244.255.254" }],
      ["10.244.1.5..10.244.1.9", { first: "10.244.1.5", last: "10.244.1.9" }],
    ];
    for (const [text, want] of cases) assert.deepEqual(parsePodRange(text), want, text);
    assert.throws(() => parsePodRange("10.244.1.0"), /network\.podRange "10\.244\.1\.0": expected/);
    assert.throws(() => parsePodRange("10.244.2.9..10.244.1.9"), /first address is after the last/);
    assert.throws(() => parsePodRange("10.244.1.x..10.244.1.9"), /"10\.244\.1\.x" is not an IPv4 address/);
    assert.equal(intToIp(ipToInt("10.244.255.254")), "10.244.255.254");
  });

  test("allocation is round-robin, skips .0/.255, honours a free preferred address and reports exhaustion", () => {
    const ipam = new IpAllocator({ first: "10.244.1.253", last: "10.244.2.2" });
    assert.deepEqual([ipam.allocate(), ipam.allocate(), ipam.allocate(), ipam.allocate()], ["10.244.1.253", "10.244.1.254", "10.244.2.1", "10.244.2.2"]);
    assert.throws(() => ipam.allocate(), /pod range 10\.244\.1\.253\.\.10\.244\.2\.2 is exhausted \(4 addresses in use\)/);
    ipam.release("10.244.1.254");
    assert.equal(ipam.allocate(), "10.244.1.254");
    ipam.release("10.244.2.1");
    ipam.release("10.244.1.253");
    assert.equal(ipam.allocate("10.244.1.253"), "10.244.1.253", "a pod keeps its address when it is free");
    assert.equal(ipam.allocate("10.244.1.254"), "10.244.2.1", "a taken preferred address falls back to the next free one");
    assert.equal(ipam.inUse, 4);
  });

  test("released addresses are not handed out again at once", () => {
    const ipam = new IpAllocator({ first: "10.244.1.2", last: "10.244.1.10" });
    const a = ipam.allocate();
    ipam.release(a);
    assert.notEqual(ipam.allocate(), a);
  });
});

describe("sandbox names and hosts files", () => {
  test("names fit Linux interface limits and are stable per pod", () => {
    const n = sandboxNames("0f8c2b6e-1111-2222-3333-444455556666");
    assert.match(n.netns, /^mdb-[0-9a-f]{10}$/);
    assert.ok(n.hostVeth.length <= 15 && n.podVeth.length <= 15);
    assert.deepEqual(sandboxNames("0f8c2b6e-1111-2222-3333-444455556666"), n);
    assert.notEqual(sandboxNames("other").netns, n.netns);
    assert.match(sandboxNames("0f8c2b6e-1111-2222-3333-444455556666", "mdb1-").netns, /^mdb1-[0-9a-f]{10}$/, "a second proving ground's prefix");
  });

  test("the hosts file names the pod, the API server and every peer with a subdomain", () => {
    const self = { ip: "10.244.1.2", namespace: "db", hostname: "m-0", subdomain: "mdb" };
    const text = renderHostsFile(self, "10.244.0.1", [
      self,
      { ip: "10.244.1.3", namespace: "db", hostname: "m-1", subdomain: "mdb" },
      { ip: "10.244.1.4", namespace: "db", hostname: "web-x" },
    ]);
    const lines = text.trim().split("\n");
    assert.ok(lines.includes("10.244.1.2\tm-0.mdb.db.svc.cluster.local m-0.mdb.db.svc m-0.mdb.db m-0.mdb m-0"));
    assert.ok(lines.includes("10.244.0.1\tkubernetes kubernetes.default kubernetes.default.svc kubernetes.default.svc.cluster.local"));
    assert.ok(lines.includes("10.244.1.3\tm-1.mdb.db.svc.cluster.local m-1.mdb.db.svc m-1.mdb.db m-1.mdb"));
    assert.ok(!text.includes("web-x"), "a pod without subdomain has no DNS name to share");
    assert.equal(lines.filter((l) => l.startsWith("10.244.1.2")).length, 1, "the pod itself is listed once");
    assert.deepEqual(peerNames({ ip: "1", namespace: "n", hostname: "h" }), []);
    const aliased = renderHostsFile(self, "10.244.0.1", [], [{ ip: "10.244.9.9", hostnames: ["a", "b"] }, { ip: "10.244.9.8" }]);
    assert.ok(aliased.trim().endsWith("# Entries added by HostAliases.\n10.244.9.9\ta\tb"), "hostAliases are appended, empty ones skipped");
  });
});

describe("mount points", () => {
  test("a mount nested in another volume gets its mount point inside that volume's directory", () => {
    const data = { source: "/s/pvc", target: "/data", readOnly: false };
    const conf = { source: "/s/cfg", target: "/data/conf", readOnly: true };
    const other = { source: "/s/x", target: "/database", readOnly: false };
    assert.deepEqual(hostMountpoint(conf, [data]), { path: "/s/pvc/conf", onHost: false });
    assert.deepEqual(hostMountpoint(other, [data]), { path: "/database", onHost: true }, "a shared prefix is not nesting");
    assert.deepEqual(hostMountpoint(data, []), { path: "/data", onHost: true });
  });
});

describe("control requests", () => {
  test("requests are validated with the field named", () => {
    assert.deepEqual(parseControlRequest({ action: "kill", pod: "db/m-0", container: "engine" }), { action: "kill", pod: "db/m-0", container: "engine" });
    assert.deepEqual(parseControlRequest({ action: "stop-node", node: "z1-r1-h1" }), { action: "stop-node", node: "z1-r1-h1" });
    const bad: [unknown, RegExp][] = [
      [null, /expected a JSON object with 'action'/],
      [{ action: "explode" }, /unknown action "explode"; expected kill, stop-node/],
      [{ action: "kill" }, /control request kill: 'pod' must be a non-empty string/],
      [{ action: "kill", pod: "a/b/c" }, /pod "a\/b\/c": expected NAME or NAMESPACE\/NAME/],
      [{ action: "kill", pod: "a", container: 3 }, /'container' must be a non-empty string when given/],
      [{ action: "start-node", node: "" }, /'node' must be a non-empty string/],
    ];
    for (const [body, want] of bad) assert.throws(() => parseControlRequest(body), want, JSON.stringify(body));
    assert.deepEqual(splitPodRef("web"), { namespace: "default", name: "web" });
  });
});

describe("cluster.json and nodes", () => {
  test("cluster.json: what cluster:up writes is read back; a missing or malformed field is named, never defaulted", () => {
    const written = {
      stateDir: "/state", binDir: "/bin", kubeconfig: "/state/kubeconfig", caFile: "/state/pki/ca.crt", nodesMode: "podrunner",
      apiserver: { hostUrl: "https://127.0.0.1:6443", podHost: "10.244.0.1", port: 6443 },
      network: { bridge: "mdb0", cidr: "10.244.0.0/16", gateway: "10.244.0.1", prefixLength: 16, podRange: "10.244.1.0-10.244.255.254", netnsPrefix: "mdb-", serviceCidr: "10.96.0.0/16", dnsServiceIP: "10.96.0.10" },
      nodes: [{ name: "n1", labels: { a: "b" }, capacity: { cpu: "8", memory: "32Gi", pods: "110" }, taints: [] }],
      timings: { up: 9 },
    };
    assert.deepEqual(parseClusterInfo(JSON.stringify(written)), written);
    const without = (path: string[]) => {
      const copy = structuredClone(written) as Record<string, unknown>;
      let o = copy;
      for (const k of path.slice(0, -1)) o = o[k] as Record<string, unknown>;
      delete o[path[path.length - 1]];
      return JSON.stringify(copy);
    };
    assert.throws(() => parseClusterInfo(without(["network", "podRange"]), "c.json"), /c\.json: network\.podRange: expected a non-empty string/);
    assert.throws(() => parseClusterInfo(without(["apiserver", "port"]), "c.json"), /apiserver\.port: expected a number/);
    assert.throws(() => parseClusterInfo("{", "c.json"), /c\.json: not valid JSON/);
    assert.throws(() => parseClusterInfo(JSON.stringify({ ...written, nodes: [] }), "c.json"), /c\.json: nodes: expected a non-empty list/);
    assert.throws(() => parseClusterInfo(JSON.stringify({ ...written, nodes: [{}] }), "c.json"), /nodes\[0\]\.name: expected a non-empty string/);
    assert.throws(() => parseClusterInfo(JSON.stringify({ ...written, nodesMode: "vm" }), "c.json"), /nodesMode: expected "podrunner" or "real"/);
  });

  test("a healthy node reports Ready and no pressure, all with the same heartbeat", () => {
    const now = new Date("2026-01-01T00:01:00Z");
    const since = new Date("2026-01-01T00:00:00Z");
    const conditions = nodeConditions(now, since);
    assert.deepEqual(conditions.map((c) => [c.type, c.status]), [["MemoryPressure", "False"], ["DiskPressure", "False"], ["PIDPressure", "False"], ["Ready", "True"]]);
    assert.ok(conditions.every((c) => c.lastHeartbeatTime === now && c.lastTransitionTime === since));
  });

  test("the local provisioner makes a node-pinned volume for a claim the scheduler placed", () => {
    const claim = (annotations: Record<string, string>, extra: object = {}) => ({
      metadata: { name: "data-m-0", namespace: "db", uid: "c-1", annotations },
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "2Gi" } }, storageClassName: "standard" }, ...extra,
    });
    const ours = { "volume.kubernetes.io/selected-node": "n1", "volume.kubernetes.io/storage-provisioner": PROVISIONER };
    const pv = volumeForClaim(claim(ours), "/state", new Set(["n1"]))!;
    assert.equal(pv.metadata!.name, "pvc-c-1");
    assert.equal(pv.spec!.hostPath!.path, "/state/volumes/db/data-m-0");
    assert.equal(pv.spec!.capacity!.storage, "2Gi");
    assert.deepEqual(pv.spec!.claimRef, { apiVersion: "v1", kind: "PersistentVolumeClaim", namespace: "db", name: "data-m-0", uid: "c-1" });
    assert.deepEqual(pv.spec!.nodeAffinity!.required!.nodeSelectorTerms[0].matchExpressions![0].values, ["n1"]);
    assert.equal(volumeForClaim(claim({ ...ours, "volume.kubernetes.io/storage-provisioner": "other.io/x" }), "/state", new Set(["n1"])), undefined, "another provisioner's claim");
    assert.equal(volumeForClaim(claim({ "volume.kubernetes.io/storage-provisioner": PROVISIONER }), "/state", new Set(["n1"])), undefined, "no node chosen yet");
    assert.equal(volumeForClaim(claim(ours), "/state", new Set(["n2"])), undefined, "a node that is not ours");
    assert.equal(volumeForClaim(claim(ours, { status: { phase: "Bound" } }), "/state", new Set(["n1"])), undefined, "already bound");
  });

  test("a claim made again under its name gets an empty directory, and the old volume's late release leaves it alone", async () => {
    const { mkdtempSync, existsSync, readdirSync, statSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const state = mkdtempSync(join(tmpdir(), "mdb-provisioner-"));
    const deleted: string[] = [];
    const core = { createPersistentVolume: async () => ({}), deletePersistentVolume: async ({ name }: { name: string }) => { deleted.push(name); } };
    const p = new LocalProvisioner(core as never, {} as never, state, new Set(["n1"]), () => {});
    const ours = { "volume.kubernetes.io/selected-node": "n1", "volume.kubernetes.io/storage-provisioner": PROVISIONER };
    const claim = (uid: string) => ({ metadata: { name: "data-m-0", namespace: "db", uid, annotations: ours }, spec: {} });
    const dir = join(state, "volumes", "db", "data-m-0");
    await p.onClaim(claim("old"));
    writeFileSync(join(dir, "nodes.conf"), "old engine");
    await p.onClaim(claim("new")); // the member replaced with a new volume before the old one is released
    assert.deepEqual(readdirSync(dir), [], "the new claim does not see the old claim's data");
    assert.equal(statSync(dir).mode & 0o777, 0o777);
    await p.onVolume({ metadata: { name: "pvc-old", annotations: { "pv.kubernetes.io/provisioned-by": PROVISIONER } },
      spec: { persistentVolumeReclaimPolicy: "Delete", hostPath: { path: dir } }, status: { phase: "Released" } });
    assert.ok(existsSync(dir), "the old volume's release keeps the directory the new claim owns");
    assert.deepEqual(deleted, ["pvc-old"]);
    await p.onVolume({ metadata: { name: "pvc-new", annotations: { "pv.kubernetes.io/provisioned-by": PROVISIONER } },
      spec: { persistentVolumeReclaimPolicy: "Delete", hostPath: { path: dir } }, status: { phase: "Released" } });
    assert.ok(!existsSync(dir) && !existsSync(`${dir}.pv`), "its own release removes it");
  });
});

describe("events", () => {
  test("a pod event points at the pod (and container) and names the node as the kubelet source", async () => {
    const { podEventObject } = await import("../../podrunner/events.ts");
    const now = new Date("2026-01-01T00:00:00Z");
    const pod = { metadata: { name: "m-0", namespace: "db", uid: "u-1" }, spec: { nodeName: "n1", containers: [] } };
    const e = podEventObject(pod, { type: "Warning", reason: "Unhealthy", message: "Readiness probe failed: x", container: "engine" }, now);
    assert.equal(e.metadata!.namespace, "db");
    assert.match(e.metadata!.name!, /^m-0\./);
    assert.deepEqual(e.involvedObject, { apiVersion: "v1", kind: "Pod", name: "m-0", namespace: "db", uid: "u-1", fieldPath: "spec.containers{engine}" });
    assert.deepEqual([e.type, e.reason, e.count, e.source?.component, e.source?.host], ["Warning", "Unhealthy", 1, "kubelet", "n1"]);
    assert.equal(podEventObject(pod, { type: "Normal", reason: "Killing", message: "m" }, now).involvedObject.fieldPath, undefined);
  });
});
