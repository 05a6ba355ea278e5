// `cluster:up` and `cluster:down`: a real Kubernetes control plane (etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler) from the pinned build, plus the pod runner standing in for
// the kubelet on every Node of the topology. See e2e/local/README in the project README.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { assertPortFree, ProcessTable } from "./processes.ts";
import { sleep, waitFor } from "../../../common/wait.ts";
import { ensurePki, kubeconfigYaml, pkiPaths, type Pki } from "./pki.ts";
import { ensureBridge, POD_NETWORK, removePodNetwork } from "./network.ts";
import { parseTopology, TopologyError, type LocalNode } from "./topology.ts";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const TOOLCHAIN_BUILD = join(REPO_ROOT, "e2e/local/toolchain/build.sh");
export const DEFAULT_TOPOLOGY = join(REPO_ROOT, "e2e/local/topology.yaml");

export interface ClusterInfo {
  stateDir: string;
  binDir: string;
  kubeconfig: string;
  apiserver: { hostUrl: string; podHost: string; port: number };
  network: { bridge: string; cidr: string; gateway: string; podRange: string };
  caFile: string;
  nodes: LocalNode[];
  timings: Record<string, number>;
}

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
  constructor(readonly daemon: string, readonly logFile: string) {
    super(`${daemon} exited during start-up (the end of its log ${logFile} is printed above)`);
  }
}

export function stateDirFrom(dir?: string): string {
  return resolve(dir ?? process.env.MDB_LOCAL_DIR ?? join(REPO_ROOT, ".mdb-local"));
}

const DAEMONS = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "podrunner"] as const;

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
    kubelet: envInt("MDB_KUBELET_PORT", 10250) };
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
  const file = join(stateDir, "cluster.json");
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, "utf8")) as ClusterInfo;
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
  const info = readClusterInfo(stateDir);
  if (!info || DAEMONS.some((d) => table.running(d) === undefined)) return false;
  try {
    const pki = pkiPaths(join(stateDir, "pki"));
    return (await httpsGet(`${info.apiserver.hostUrl}/readyz`, pki, true)).status === 200;
  } catch {
    return false;
  }
}

function anyRunning(stateDir: string): boolean {
  const table = new ProcessTable(stateDir);
  return DAEMONS.some((d) => table.running(d) !== undefined);
}

export async function clusterUp(opts: UpOptions = {}): Promise<ClusterInfo> {
  const log = opts.log ?? ((line: string) => console.error(`[cluster:up] ${line}`));
  const stateDir = stateDirFrom(opts.stateDir);
  const t0 = Date.now();
  const timings: Record<string, number> = {};
  const mark = (name: string) => (timings[name] = Date.now() - t0);

  checkTools();
  const topologyFile = resolve(opts.topologyFile ?? DEFAULT_TOPOLOGY);
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
  mark("binaries");
  const p = ports();
  await assertPortFree("0.0.0.0", p.apiserver, "kube-apiserver", "MDB_APISERVER_PORT");
  await assertPortFree("127.0.0.1", p.etcdClient, "etcd (client)", "MDB_ETCD_PORT");
  await assertPortFree("127.0.0.1", p.etcdPeer, "etcd (peer)", "MDB_ETCD_PORT");
  await assertPortFree("127.0.0.1", p.controllerManager, "kube-controller-manager", "MDB_KCM_PORT");
  await assertPortFree("127.0.0.1", p.scheduler, "kube-scheduler", "MDB_SCHEDULER_PORT");
  await assertPortFree("0.0.0.0", p.kubelet, "the pod runner's kubelet API (kubectl logs)", "MDB_KUBELET_PORT");

  try {
    return await startAll();
  } catch (e) {
    log(`start-up failed: ${(e as Error).message}`);
    // The state dir (and so the logs) is removed by the clean-up: show what explains the failure first.
    const culprits = e instanceof DaemonExitedError ? [e.daemon] : [...DAEMONS];
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
    const alive = (name: string, check: () => Promise<boolean> | boolean) => (): Promise<boolean> | boolean => {
      if (table.running(name) === undefined) throw new DaemonExitedError(name, table.logFile(name));
      return check();
    };
    ensureBridge();
    const pki = ensurePki(join(stateDir, "pki"), {
      ips: ["127.0.0.1", POD_NETWORK.gateway, "10.96.0.1"],
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
    table.start({ name: "etcd", command: join(binDir, "etcd"), args: [
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
    table.start({ name: "kube-apiserver", command: join(binDir, "kube-apiserver"), args: [
      `--etcd-servers=${etcdUrl}`,
      "--bind-address=0.0.0.0", `--secure-port=${p.apiserver}`, `--advertise-address=${POD_NETWORK.gateway}`,
      `--tls-cert-file=${pki.apiserverCert}`, `--tls-private-key-file=${pki.apiserverKey}`, `--client-ca-file=${pki.caCert}`,
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${pki.saPub}`, `--service-account-signing-key-file=${pki.saKey}`,
      "--service-cluster-ip-range=10.96.0.0/16",
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
    table.start({ name: "kube-controller-manager", command: join(binDir, "kube-controller-manager"), args: [
      `--kubeconfig=${kcmConfig}`, `--authentication-kubeconfig=${kcmConfig}`, `--authorization-kubeconfig=${kcmConfig}`,
      `--service-account-private-key-file=${pki.saKey}`, `--root-ca-file=${pki.caCert}`,
      "--use-service-account-credentials=true",
      `--cluster-signing-cert-file=${pki.caCert}`, `--cluster-signing-key-file=${pki.caKey}`,
      "--bind-address=127.0.0.1", `--secure-port=${p.controllerManager}`, "--leader-elect=false",
      `--node-monitor-grace-period=${nodeGraceSeconds}s`, "--node-monitor-period=2s",
      "--controllers=*,-nodeipam,-cloud-node-lifecycle,-service-lb-controller,-route", "--v=1",
    ] });
    table.start({ name: "kube-scheduler", command: join(binDir, "kube-scheduler"), args: [
      `--kubeconfig=${schedConfig}`, `--authentication-kubeconfig=${schedConfig}`, `--authorization-kubeconfig=${schedConfig}`,
      "--bind-address=127.0.0.1", `--secure-port=${p.scheduler}`, "--leader-elect=false", "--v=1",
    ] });
    await waitFor(alive("kube-controller-manager", async () => (await httpsGet(`https://127.0.0.1:${p.controllerManager}/healthz`, pki, false)).status === 200), { what: "kube-controller-manager /healthz", timeoutMs: 60_000, intervalMs: 300 });
    await waitFor(alive("kube-scheduler", async () => (await httpsGet(`https://127.0.0.1:${p.scheduler}/healthz`, pki, false)).status === 200), { what: "kube-scheduler /healthz", timeoutMs: 60_000, intervalMs: 300 });
    mark("controllers");

    const info: ClusterInfo = {
      stateDir, binDir, kubeconfig,
      apiserver: { hostUrl, podHost: POD_NETWORK.gateway, port: p.apiserver },
      network: { bridge: POD_NETWORK.bridge, cidr: POD_NETWORK.cidr, gateway: POD_NETWORK.gateway, podRange: "10.244.1.0-10.244.255.254" },
      caFile: pki.caCert, nodes, timings,
    };
    writeFileSync(join(stateDir, "cluster.json"), JSON.stringify(info, null, 2));

    const kubectl = (...args: string[]) => execFileSync(join(binDir, "kubectl"), ["--kubeconfig", kubeconfig, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    table.start({ name: "podrunner", command: process.execPath, args: ["--import", "tsx", join(REPO_ROOT, "e2e/local/podrunner/main.ts")],
      env: { ...process.env, MDB_LOCAL_DIR: stateDir, KUBECONFIG: kubeconfig }, cwd: REPO_ROOT });
    await waitFor(alive("podrunner", () => {
      const out = kubectl("get", "nodes", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type==\"Ready\")].status}{\"\\n\"}{end}");
      const ready = new Set(out.split("\n").filter((l) => l.endsWith("=True")).map((l) => l.split("=")[0]));
      return nodes.every((n) => ready.has(n.name));
    }), { what: `all ${nodes.length} Nodes to be registered and Ready (pod runner log: ${table.logFile("podrunner")})`, timeoutMs: 90_000, intervalMs: 500 });
    mark("nodesReady");
    // Pods can only be created once the ServiceAccount controller made the default account.
    await waitFor(() => kubectl("get", "serviceaccount", "default", "-o", "name").trim() !== "", { what: "the default ServiceAccount", timeoutMs: 30_000, intervalMs: 300 });
    mark("ready");
    writeFileSync(join(stateDir, "cluster.json"), JSON.stringify(info, null, 2));
    log(`proving ground up in ${(timings.ready / 1000).toFixed(1)}s (binaries ${(timings.binaries / 1000).toFixed(1)}s, all ${nodes.length} Nodes Ready at ${(timings.nodesReady / 1000).toFixed(1)}s)`);
    return info;
  }
}

export async function clusterDown(opts: { stateDir?: string; log?: (line: string) => void } = {}): Promise<void> {
  const log = opts.log ?? ((line: string) => console.error(`[cluster:down] ${line}`));
  const stateDir = stateDirFrom(opts.stateDir);
  const table = new ProcessTable(stateDir);
  // The pod runner first: it stops every container it started and removes its namespaces.
  for (const name of ["podrunner", "kube-scheduler", "kube-controller-manager", "kube-apiserver", "etcd"] as const) {
    if (table.running(name) !== undefined) log(`stopping ${name}`);
    await table.stop(name, name === "podrunner" ? 45_000 : 10_000);
  }
  unmountUnder(stateDir);
  removePodNetwork();
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
