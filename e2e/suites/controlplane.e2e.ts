// The proving ground's control plane: pinned versions, idempotent start, clean stop, and a
// half-started control plane cleaned up. Runs only on the proving ground (it starts and stops it).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { clusterDown, clusterUp, DaemonExitedError, ensureBinaries, stateDirFrom, type ClusterInfo } from "../local/controlplane/cluster.ts";
import { bridgeExists, podNetnsNames } from "../local/controlplane/network.ts";
import { processesUsing } from "../local/controlplane/host-state.ts";

const onProvingGround = !process.env.KUBECONFIG;
const stateDir = stateDirFrom();
const quiet = () => undefined;

describe("proving ground control plane", { skip: onProvingGround ? false : "KUBECONFIG is set: these tests start their own proving ground" }, () => {
  let info: ClusterInfo;

  before(async () => {
    await clusterDown({ log: quiet });
  });
  after(async () => {
    await clusterDown({ log: quiet });
  });

  test("a half-started control plane is cleaned up and the failure names the component", async () => {
    // A stale, broken PKI left behind by an interrupted start: the API server cannot load its key.
    const bin = ensureBinaries(quiet);
    assert.ok(existsSync(join(bin, "kube-apiserver")));
    const pki = join(stateDir, "pki");
    mkdirSync(pki, { recursive: true });
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=x",
      "-keyout", join(pki, "ca.key"), "-out", join(pki, "ca.crt")], { stdio: "ignore" });
    for (const f of ["apiserver.crt", "apiserver.key", "sa.key", "sa.pub", "admin.crt", "admin.key", "controller-manager.crt",
      "controller-manager.key", "scheduler.crt", "scheduler.key"]) writeFileSync(join(pki, f), "not a pem file\n");
    const lines: string[] = [];
    await assert.rejects(clusterUp({ log: (l) => lines.push(l) }), (e: unknown) => {
      assert.ok(e instanceof DaemonExitedError, String(e));
      assert.equal(e.daemon, "kube-apiserver");
      return true;
    });
    assert.ok(lines.some((l) => l.includes("cleaning up the half-started proving ground")), lines.join("\n"));
    assert.deepEqual(processesUsing(stateDir), []);
    assert.equal(bridgeExists(), false);
    assert.equal(existsSync(stateDir), false);
  });

  test("cluster:up starts every component and Node, and prints timings", async () => {
    info = await clusterUp({ log: quiet });
    console.log(`cluster:up (warm binaries) to all Nodes Ready: ${(info.timings.nodesReady / 1000).toFixed(1)}s, ready: ${(info.timings.ready / 1000).toFixed(1)}s`);
    const kubectl = (...args: string[]) => execFileSync(join(info.binDir, "kubectl"), ["--kubeconfig", info.kubeconfig, ...args], { encoding: "utf8" });
    const nodes = JSON.parse(kubectl("get", "nodes", "-o", "json")) as { items: { metadata: { name: string; labels: Record<string, string> } }[] };
    assert.deepEqual(nodes.items.map((n) => n.metadata.name).sort(), info.nodes.map((n) => n.name).sort());
    for (const n of nodes.items) {
      for (const key of ["topology.kubernetes.io/region", "topology.kubernetes.io/zone", "topology.mdbcluster.io/rack", "kubernetes.io/hostname"]) {
        assert.ok(n.metadata.labels[key], `node ${n.metadata.name} lacks label ${key}`);
      }
    }
    const kubeVersion = JSON.parse(kubectl("version", "-o", "json")) as { clientVersion: { gitVersion: string }; serverVersion: { gitVersion: string } };
    assert.equal(kubeVersion.clientVersion.gitVersion, "v1.36.3");
    assert.equal(kubeVersion.serverVersion.gitVersion, "v1.36.3");
    assert.match(execFileSync(join(info.binDir, "helm"), ["version", "--short"], { encoding: "utf8" }), /^v3\.22\.0/);
    // RBAC is on: an identity without bindings is refused.
    // (`kubectl auth can-i` answers "no" with exit code 1.)
    const canI = spawnSync(join(info.binDir, "kubectl"), ["--kubeconfig", info.kubeconfig, "auth", "can-i", "list", "pods", "--as", "system:serviceaccount:default:nobody"], { encoding: "utf8" });
    assert.equal(canI.stdout.trim(), "no");
    assert.equal(canI.status, 1);
    assert.equal(kubectl("auth", "can-i", "list", "pods").trim(), "yes");
    // The kubernetes Service points at the advertise address pods can reach.
    assert.equal(kubectl("get", "endpointslice", "-l", "kubernetes.io/service-name=kubernetes", "-o", "jsonpath={.items[0].endpoints[0].addresses[0]}"), info.network.gateway);
  });

  test("cluster:up is idempotent: a running proving ground is found, not restarted", async () => {
    const apiserverPid = readFileSync(join(stateDir, "pids", "kube-apiserver.pid"), "utf8");
    const lines: string[] = [];
    const again = await clusterUp({ log: (l) => lines.push(l) });
    assert.ok(lines.some((l) => l.includes("already running")), lines.join("\n"));
    assert.equal(again.kubeconfig, info.kubeconfig);
    assert.equal(readFileSync(join(stateDir, "pids", "kube-apiserver.pid"), "utf8"), apiserverPid);
  });

  test("cluster:down stops every process and removes its state and namespaces", async () => {
    await clusterDown({ log: quiet });
    assert.deepEqual(processesUsing(stateDir), []);
    assert.deepEqual(podNetnsNames(), []);
    assert.equal(bridgeExists(), false);
    assert.equal(existsSync(stateDir), false);
    assert.deepEqual(readFileSync("/proc/self/mounts", "utf8").split("\n").filter((l) => l.includes(stateDir)), []);
  });
});
