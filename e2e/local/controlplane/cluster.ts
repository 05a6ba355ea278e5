// `cluster:up` and `cluster:down`: a real Kubernetes control plane (etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler) from the pinned build, plus the pod runner standing in for
// the kubelet on every Node of the topology. See docs/proving-ground.md.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { assertPortFree, killProcessesNaming, ProcessTable, type DaemonSpec } from "./processes.ts";
import { sleep, waitFor } from "../../../common/wait.ts";
import { ensurePki, kubeconfigYaml, pkiPaths, type Pki } from "./pki.ts";
import { ensureBridge, podNetworkFromEnv, removePodNetwork, type PodNetwork } from "./network.ts";
import { parseTopology, TopologyError } from "./topology.ts";
import { withStateLock } from "./state-lock.ts";
import { readClusterInfo as readInfo, type ClusterInfo } from "../cluster-info.ts";
import { assertInotifyRoom, assertNoOtherKubeProxy, checkRealNodeTools, daemonsOf, ensureNodeBinaries, nodesModeFromEnv, podRunnerRange, type NodesMode } from "./node-modes.ts";

export { nodesModeFromEnv, type NodesMode };

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const TOOLCHAIN_BUILD = join(REPO_ROOT, "e2e/local/toolchain/build.sh");
export const DEFAULT_TOPOLOGY = join(REPO_ROOT, "e2e/local/topology.yaml");
/** Smaller by default: a real node costs a kubelet and a containerd (docs/proving-ground.md#measured). */
export const DEFAULT_REAL_TOPOLOGY = join(REPO_ROOT, "e2e/local/topology-real.yaml");

export type { ClusterInfo };

export interface UpOptions {
  stateDir?: string;
  topologyFile?: string;
  log?: (line: string) => void;
  /** Seconds without a heartbeat before the node lifecycle controller marks a Node NotReady. */
  nodeGraceSeconds?: number;
  /** Default not-ready/unreachable toleration (seconds) that decides when pods are evicted. */
  evictionSeconds?: number;
}

export class DaemonExitedError extends Error {
  readonly fatal = true; // stops waitFor at once
  constructor(readonly daemon: string, readonly logFile: string, how?: string) {
    super(`${daemon} exited during start-up${how ? ` (${how})` : ""} (the end of its log ${logFile} is printed above)`);
  }
}

export function stateDirFrom(dir?: string): string {
  return resolve(dir ?? process.env.MDB_LOCAL_DIR ?? join(REPO_ROOT, ".mdb-local"));
}

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}=${raw} is not a positive whole number`);
  return n;
}

function ports() {
  const apiserver = envInt("MDB_APISERVER_PORT", 6443);
  const etcd = envInt("MDB_ETCD_PORT", 2379);
  return { apiserver, etcdClient: etcd, etcdPeer: etcd + 1, controllerManager: envInt("MDB_KCM_PORT", 10257), scheduler: envInt("MDB_SCHEDULER_PORT", 10259),
    kubelet: envInt("MDB_KUBELET_PORT", 10250), registry: envInt("MDB_REGISTRY_PORT", 5000) };
}

/** Tools the proving ground needs, each with the Debian package that provides it. */
const REQUIRED_TOOLS: [tool: string, pkg: string][] = [
  ["openssl", "openssl"], ["ip", "iproute2"], ["nsenter", "util-linux"], ["unshare", "util-linux"], ["mount", "mount"],
  ["bash", "bash"], ["go", "golang (Go ≥ 1.26)"],
];

export function checkTools(env: NodeJS.ProcessEnv = process.env): void {
  const missing = REQUIRED_TOOLS.filter(([tool]) => spawnSync("/bin/sh", ["-c", `command -v ${tool}`], { env }).status !== 0);
  if (missing.length > 0) {
    throw new Error(missing.map(([tool, pkg]) => `'${tool}' is not installed: install the Debian package ${pkg} (apt-get install -y ${pkg.split(" ")[0]})`).join("\n"));
  }
  if (process.getuid?.() !== 0) throw new Error("the proving ground creates network namespaces and a bridge: run it as root");
}

/** Builds (cold) or finds (warm) the pinned control-plane binaries; returns their directory. */
export function ensureBinaries(log: (line: string) => void): string {
  const t0 = Date.now();
  const r = spawnSync("bash", [TOOLCHAIN_BUILD], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (r.status !== 0) throw new Error(`building the control plane failed (exit ${r.status}); see the output above`);
  const bin = r.stdout.trim().split("\n").pop() ?? "";
  log(`control-plane binaries ready in ${((Date.now() - t0) / 1000).toFixed(1)}s: ${bin}`);
  return bin;
}

export function readClusterInfo(stateDir = stateDirFrom()): ClusterInfo | undefined {
  return readInfo(stateDir);
}

function httpsGet(url: string, pki: Pki, withClientCert: boolean): Promise<{ status: number; body: string }> {
  return new Promise((resolvePromise, reject) => {
    const req = request(url, {
      ca: readFileSync(pki.caCert),
      ...(withClientCert ? { cert: readFileSync(pki.clients.admin.cert), key: readFileSync(pki.clients.admin.key) } : {}),
      rejectUnauthorized: withClientCert, // the components' own serving certs are self-signed
      timeout: 3000,
    }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolvePromise({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error(`no answer from ${url}`)));
    req.end();
  });
}

async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  return res.ok;
}

/** Is a complete proving ground running from this state dir? */
async function isHealthy(stateDir: string): Promise<boolean> {
  const table = new ProcessTable(stateDir);
  let info: ClusterInfo | undefined;
  try { info = readClusterInfo(stateDir); } catch { return false; } // unreadable: not a healthy ground
  if (!info || daemonsOf(info.nodesMode ?? "podrunner", info.nodes).some((d) => table.running(d) === undefined)) return false;
  try {
    const pki = pkiPaths(join(stateDir, "pki"));
    return (await httpsGet(`${info.apiserver.hostUrl}/readyz`, pki, true)).status === 200;
  } catch {
    return false;
  }
}

function anyRunning(stateDir: string): boolean {
  const table = new ProcessTable(stateDir);
  return table.names().some((d) => table.running(d) !== undefined);
}

export async function clusterUp(opts: UpOptions = {}): Promise<ClusterInfo> {
  const log = opts.log ?? ((line: string) => console.error(`[cluster:up] ${line}`));
  return withStateLock(stateDirFrom(opts.stateDir), () => startProvingGround({ ...opts, log }), { log });
}

async function startProvingGround(opts: UpOptions): Promise<ClusterInfo> {
  const log = opts.log ?? ((line: string) => console.error(`[cluster:up] ${line}`));
  const stateDir = stateDirFrom(opts.stateDir);
  const t0 = Date.now();
  const timings: Record<string, number> = {};
  const mark = (name: string) => (timings[name] = Date.now() - t0);

  checkTools();
  const net = podNetworkFromEnv();
  const nodesMode = nodesModeFromEnv();
  if (nodesMode === "real") checkRealNodeTools();
  const topologyFile = resolve(opts.topologyFile ?? (nodesMode === "real" ? DEFAULT_REAL_TOPOLOGY : DEFAULT_TOPOLOGY));
  if (!existsSync(topologyFile)) throw new Error(`topology file ${topologyFile} does not exist; pass --topology FILE (see e2e/local/topology.yaml)`);
  const nodes = parseTopology(readFileSync(topologyFile, "utf8"), topologyFile);

  if (await isHealthy(stateDir)) {
    const info = readClusterInfo(stateDir) as ClusterInfo;
    log(`already running (state in ${stateDir}); nothing to do`);
    return info;
  }
  if (anyRunning(stateDir) || existsSync(join(stateDir, "cluster.json"))) {
    log(`found a half-started or stale proving ground in ${stateDir}; cleaning it up first`);
    await clusterDown({ stateDir, log });
  }

  const binDir = ensureBinaries(log);
  const nodeBinDir = nodesMode === "real" ? ensureNodeBinaries(log) : "";
  if (nodesMode === "real") {
    const { buildImages } = await import("../imagebuild/main.ts");
    buildImages({ log: (l) => log(`images: ${l}`) });
  }
  mark("binaries");
  const p = ports();
  await assertPortFree("0.0.0.0", p.apiserver, "kube-apiserver", "MDB_APISERVER_PORT");
  await assertPortFree("127.0.0.1", p.etcdClient, "etcd (client)", "MDB_ETCD_PORT");
  await assertPortFree("127.0.0.1", p.etcdPeer, "etcd (peer)", "MDB_ETCD_PORT");
  await assertPortFree("127.0.0.1", p.controllerManager, "kube-controller-manager", "MDB_KCM_PORT");
  await assertPortFree("127.0.0.1", p.scheduler, "kube-scheduler", "MDB_SCHEDULER_PORT");
  if (nodesMode === "podrunner") await assertPortFree("0.0.0.0", p.kubelet, "the pod runner's kubelet API (kubectl logs)", "MDB_KUBELET_PORT");
  else {
    await assertPortFree("127.0.0.1", p.registry, "the image registry", "MDB_REGISTRY_PORT");
    assertNoOtherKubeProxy();
    assertInotifyRoom(nodes.length);
  }

  try {
    return await startAll();
  } catch (e) {
    log(`start-up failed: ${(e as Error).message}`);
    // The state dir (and so the logs) is removed by the clean-up: show what explains the failure first.
    const culprits = e instanceof DaemonExitedError ? [e.daemon] : new ProcessTable(stateDir).names();
    for (const name of culprits) {
      const file = new ProcessTable(stateDir).logFile(name);
      if (existsSync(file)) log(`--- last lines of ${name}.log ---\n${readFileSync(file, "utf8").trimEnd().split("\n").slice(-12).join("\n")}`);
    }
    log("cleaning up the half-started proving ground");
    await clusterDown({ stateDir, log });
    throw e;
  }

  async function startAll(): Promise<ClusterInfo> {
    mkdirSync(stateDir, { recursive: true });
    const table = new ProcessTable(stateDir);
    // A component that exits while we wait for it fails the start-up at once, naming it.
    // A component that exits at once without writing a single log line failed before its own code ran:
    // it is started once more before giving up. Exited means its exit was seen or its pid is gone.
    const specs = new Map<string, DaemonSpec>();
    const retried = new Set<string>();
    const start = (spec: DaemonSpec) => { specs.set(spec.name, spec); return table.start(spec); };
    const alive = (name: string, check: () => Promise<boolean> | boolean) => (): Promise<boolean> | boolean => {
      if (table.running(name) === undefined && table.exited(name)) {
        const file = table.logFile(name);
        const silent = !existsSync(file) || statSync(file).size === 0;
        const spec = specs.get(name);
        if (silent && spec && !retried.has(name)) {
          retried.add(name);
          log(`${name} exited at once (${table.exitOf(name) ?? "no exit status"}) without writing to its log; starting it once more`);
          start(spec);
          return false;
        }
        throw new DaemonExitedError(name, file, table.exitOf(name));
      }
      return check();
    };
    ensureBridge(net);
    const pki = ensurePki(join(stateDir, "pki"), {
      ips: ["127.0.0.1", net.gateway, net.kubernetesServiceIP],
      dnsNames: ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"],
    });
    mark("pki");
    const hostUrl = `https://127.0.0.1:${p.apiserver}`;
    const kubeconfig = join(stateDir, "kubeconfig");
    writeFileSync(kubeconfig, kubeconfigYaml(hostUrl, pki, "admin"), { mode: 0o600 });
    const kcmConfig = join(stateDir, "controller-manager.kubeconfig");
    writeFileSync(kcmConfig, kubeconfigYaml(hostUrl, pki, "controller-manager"), { mode: 0o600 });
    const schedConfig = join(stateDir, "scheduler.kubeconfig");
    writeFileSync(schedConfig, kubeconfigYaml(hostUrl, pki, "scheduler"), { mode: 0o600 });

    const etcdUrl = `http://127.0.0.1:${p.etcdClient}`;
    start({ name: "etcd", command: join(binDir, "etcd"), args: [
      "--name=mdb-local", `--data-dir=${join(stateDir, "etcd")}`,
      `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${p.etcdPeer}`, `--initial-advertise-peer-urls=http://127.0.0.1:${p.etcdPeer}`,
      `--initial-cluster=mdb-local=http://127.0.0.1:${p.etcdPeer}`, "--initial-cluster-state=new",
      "--unsafe-no-fsync", // test cluster: durability across host crashes is not needed, speed is
      "--quota-backend-bytes=2147483648", "--log-level=warn",
    ] });
    await waitFor(alive("etcd", () => httpOk(`${etcdUrl}/health`)), { what: "etcd to answer /health", timeoutMs: 30_000 });
    mark("etcd");

    const evictionSeconds = opts.evictionSeconds ?? envInt("MDB_EVICTION_SECONDS", 30);
    start({ name: "kube-apiserver", command: join(binDir, "kube-apiserver"), args: [
      `--etcd-servers=${etcdUrl}`,
      "--bind-address=0.0.0.0", `--secure-port=${p.apiserver}`, `--advertise-address=${net.gateway}`,
      `--tls-cert-file=${pki.apiserverCert}`, `--tls-private-key-file=${pki.apiserverKey}`, `--client-ca-file=${pki.caCert}`,
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${pki.saPub}`, `--service-account-signing-key-file=${pki.saKey}`,
      `--service-cluster-ip-range=${net.serviceCidr}`,
      // logs/exec/port-forward: reach a kubelet at its node IP (node names resolve nowhere) as an admin.
      "--kubelet-preferred-address-types=InternalIP,Hostname",
      `--kubelet-client-certificate=${pki.clients.admin.cert}`, `--kubelet-client-key=${pki.clients.admin.key}`,
      "--authorization-mode=Node,RBAC",
      "--enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,DefaultTolerationSeconds,NodeRestriction,PodSecurity,Priority,ResourceQuota,MutatingAdmissionWebhook,ValidatingAdmissionWebhook,ValidatingAdmissionPolicy",
      `--default-not-ready-toleration-seconds=${evictionSeconds}`, `--default-unreachable-toleration-seconds=${evictionSeconds}`,
      // No kube-proxy here: the API server reaches webhook and aggregated-API Services through their endpoints.
      "--enable-aggregator-routing=true",
      "--allow-privileged=true", "--profiling=false", "--v=1",
    ] });
    await waitFor(alive("kube-apiserver", async () => (await httpsGet(`${hostUrl}/readyz`, pki, true)).status === 200), { what: "kube-apiserver /readyz", timeoutMs: 90_000, intervalMs: 300 });
    mark("apiserver");

    const nodeGraceSeconds = opts.nodeGraceSeconds ?? envInt("MDB_NODE_GRACE_SECONDS", 20);
    start({ name: "kube-controller-manager", command: join(binDir, "kube-controller-manager"), args: [
      `--kubeconfig=${kcmConfig}`, `--authentication-kubeconfig=${kcmConfig}`, `--authorization-kubeconfig=${kcmConfig}`,
      `--service-account-private-key-file=${pki.saKey}`, `--root-ca-file=${pki.caCert}`,
      "--use-service-account-credentials=true",
      `--cluster-signing-cert-file=${pki.caCert}`, `--cluster-signing-key-file=${pki.caKey}`,
      "--bind-address=127.0.0.1", `--secure-port=${p.controllerManager}`, "--leader-elect=false",
      `--node-monitor-grace-period=${nodeGraceSeconds}s`, "--node-monitor-period=2s",
      "--controllers=*,-nodeipam,-cloud-node-lifecycle,-service-lb-controller,-route", "--v=1",
    ] });
    start({ name: "kube-scheduler", command: join(binDir, "kube-scheduler"), args: [
      `--kubeconfig=${schedConfig}`, `--authentication-kubeconfig=${schedConfig}`, `--authorization-kubeconfig=${schedConfig}`,
      "--bind-address=127.0.0.1", `--secure-port=${p.scheduler}`, "--leader-elect=false", "--v=1",
    ] });
    await waitFor(alive("kube-controller-manager", async () => (await httpsGet(`https://127.0.0.1:${p.controllerManager}/healthz`, pki, false)).status === 200), { what: "kube-controller-manager /healthz", timeoutMs: 60_000, intervalMs: 300 });
    await waitFor(alive("kube-scheduler", async () => (await httpsGet(`https://127.0.0.1:${p.scheduler}/healthz`, pki, false)).status === 200), { what: "kube-scheduler /healthz", timeoutMs: 60_000, intervalMs: 300 });
    mark("controllers");

    const info: ClusterInfo = {
      stateDir, binDir, kubeconfig,
      apiserver: { hostUrl, podHost: net.gateway, port: p.apiserver },
      network: { bridge: net.bridge, cidr: net.cidr, gateway: net.gateway, prefixLength: net.prefixLength, podRange: podRunnerRange(net),
        netnsPrefix: net.netnsPrefix, serviceCidr: net.serviceCidr, dnsServiceIP: net.dnsServiceIP },
      nodesMode, caFile: pki.caCert, nodes, timings,
    };
    writeFileSync(join(stateDir, "cluster.json"), JSON.stringify(info, null, 2));

    const kubectl = (...args: string[]) => execFileSync(join(binDir, "kubectl"), ["--kubeconfig", kubeconfig, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    let nodeLogs = table.logFile("podrunner");
    let nodesAlive = (check: () => boolean) => alive("podrunner", check);
    if (nodesMode === "podrunner") {
      table.start({ name: "podrunner", command: process.execPath, args: ["--import", "tsx", join(REPO_ROOT, "e2e/local/podrunner/main.ts")],
        env: { ...process.env, MDB_LOCAL_DIR: stateDir, KUBECONFIG: kubeconfig }, cwd: REPO_ROOT });
    } else {
      const { startRealNodes } = await import("../nodes/start.ts");
      const real = await startRealNodes(nodes, { stateDir, nodeBinDir, network: net, pki, apiserverUrl: hostUrl, kubeletPort: p.kubelet, registryPort: p.registry, table, log });
      nodeLogs = `${join(stateDir, "logs")}/kubelet-<node>.log`;
      nodesAlive = (check) => () => {
        for (const n of real.nodes) for (const d of [`containerd-${n.name}`, `kubelet-${n.name}`]) if (table.running(d) === undefined) throw new DaemonExitedError(d, table.logFile(d));
        return check();
      };
    }
    await waitFor(nodesAlive(() => {
      const out = kubectl("get", "nodes", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type==\"Ready\")].status}{\"\\n\"}{end}");
      const ready = new Set(out.split("\n").filter((l) => l.endsWith("=True")).map((l) => l.split("=")[0]));
      return nodes.every((n) => ready.has(n.name));
    }), { what: `all ${nodes.length} Nodes to be registered and Ready (logs: ${nodeLogs})`, timeoutMs: 120_000, intervalMs: 500 });
    mark("nodesReady");
    // Pods can only be created once the ServiceAccount controller made the default account.
    await waitFor(() => kubectl("get", "serviceaccount", "default", "-o", "name").trim() !== "", { what: "the default ServiceAccount", timeoutMs: 30_000, intervalMs: 300 });
    if (nodesMode === "real") {
      const { corednsManifests } = await import("../nodes/coredns.ts");
      execFileSync(join(binDir, "kubectl"), ["--kubeconfig", kubeconfig, "apply", "-f", "-"], { input: corednsManifests(net.dnsServiceIP), stdio: ["pipe", "ignore", "pipe"] });
      await waitFor(() => kubectl("get", "deployment", "-n", "kube-system", "coredns", "-o", "jsonpath={.status.readyReplicas}").trim() === "1", { what: "cluster DNS (CoreDNS in kube-system) to be ready", timeoutMs: 90_000, intervalMs: 300 });
      mark("dns");
    }
    mark("ready");
    writeFileSync(join(stateDir, "cluster.json"), JSON.stringify(info, null, 2));
    log(`proving ground up in ${(timings.ready / 1000).toFixed(1)}s (binaries ${(timings.binaries / 1000).toFixed(1)}s, all ${nodes.length} Nodes Ready at ${(timings.nodesReady / 1000).toFixed(1)}s)`);
    return info;
  }
}

export async function clusterDown(opts: { stateDir?: string; log?: (line: string) => void } = {}): Promise<void> {
  const log = opts.log ?? ((line: string) => console.error(`[cluster:down] ${line}`));
  return withStateLock(stateDirFrom(opts.stateDir), () => stopProvingGround({ ...opts, log }), { log });
}

async function stopProvingGround(opts: { stateDir?: string; log?: (line: string) => void }): Promise<void> {
  const log = opts.log ?? ((line: string) => console.error(`[cluster:down] ${line}`));
  const stateDir = stateDirFrom(opts.stateDir);
  const table = new ProcessTable(stateDir);
  // The network this proving ground was started with (cluster.json), else the one the environment names;
  // an unreadable cluster.json (an older version's, a half-written one) must not stop the tear-down.
  let recorded: ClusterInfo["network"] | undefined;
  try {
    recorded = readClusterInfo(stateDir)?.network;
  } catch (err) {
    log(`${(err as Error).message}; tearing down with the environment's network settings`);
  }
  const net: PodNetwork = recorded?.netnsPrefix ? { ...podNetworkFromEnv(), ...recorded } : podNetworkFromEnv();
  const { readRealNodesInfo } = await import("../nodes/start.ts");
  const real = readRealNodesInfo(stateDir);
  if (real) {
    log(`stopping ${real.nodes.length} real nodes`);
    const { stopRealNodes } = await import("../nodes/stop.ts");
    await stopRealNodes(real, table, log);
  }
  // The pod runner first: it stops every container it started and removes its namespaces.
  for (const name of ["podrunner", "kube-scheduler", "kube-controller-manager", "kube-apiserver", "etcd"] as const) {
    if (table.running(name) !== undefined) log(`stopping ${name}`);
    await table.stop(name, name === "podrunner" ? 45_000 : 10_000);
  }
  for (const name of table.names()) await table.stop(name, 5_000); // anything else this state dir started
  // A daemon whose pid file was overwritten (a start-up retried) is found by the state dir it names.
  for (const stray of await killProcessesNaming(stateDir)) log(`killed a process its pid file no longer named: ${stray}`);
  unmountUnder(stateDir);
  removePodNetwork(net);
  if (existsSync(stateDir)) {
    // etcd may still be closing its files for a moment after exit.
    for (let i = 0; ; i++) {
      try { rmSync(stateDir, { recursive: true, force: true }); break; } catch (e) { if (i > 20) throw e; await sleep(100); }
    }
  }
  log(`proving ground stopped; removed ${stateDir}`);
}

/** Mounts the pod runner left under the state dir in the host's namespace (none when it cleaned up). */
export function unmountUnder(dir: string): void {
  const mounts = readFileSync("/proc/self/mounts", "utf8").split("\n").map((l) => l.split(" ")[1]).filter((m) => m && (m === dir || m.startsWith(`${dir}/`)));
  for (const m of mounts.reverse()) spawnSync("umount", ["-l", m]);
}

export { TopologyError };
