// `npm run kind:up` / `kind:down`: a multi-node kind cluster with the topology's labels and the
// project's images loaded, on one of two providers:
//   podman  (build machines: no Docker, no registry) the node image built here, kind and podman in a
//           namespace of their own (podman-host.ts), reached through one veth;
//   docker  (a machine with Docker and a registry) kindest/node of the pinned Kubernetes version.
// Both write the same kind config (config.ts) and load images the same way (`kind load image-archive`).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseTopology } from "../local/controlplane/topology.ts";
import { buildImages, loadCatalog } from "../local/imagebuild/main.ts";
import { imageCacheDir } from "../local/imagebuild/buildah.ts";
import { pinnedBinDir, pinnedKubernetesVersion } from "../local/toolchain/paths.ts";
import { KINDEST_NODE_IMAGE, kindConfigYaml, type NodeImageSource } from "./config.ts";
import {
  alive, createHostNamespace, inHost, podmanEnv, removeEmptyCgroups, removeHostNamespace, sh,
  type HostNamespace, type KindNetwork,
} from "./podman-host.ts";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

export type Provider = "podman" | "docker";

export interface KindState {
  provider: Provider;
  name: string;
  kubeconfig: string;
  network: KindNetwork;
  /** podman: the kind host namespace's holder process. */
  hostPid?: number;
  /** podman: whether libpod_parent cgroups existed before kind:up (then kind:down leaves them). */
  libpodCgroupsExisted?: boolean;
  /** docker: routes kind:up added on the machine, removed by kind:down. */
  hostRoutes?: string[];
  /** Set once kind:up finished: a state without it is a start that failed half-way. */
  ready?: boolean;
}

export interface KindOptions {
  stateDir: string;
  name: string;
  topologyFile: string;
  provider: Provider;
  network: KindNetwork;
  log: (line: string) => void;
}

export function kindOptions(env: NodeJS.ProcessEnv = process.env, args: string[] = []): KindOptions {
  const topologyArg = args.indexOf("--topology");
  return {
    stateDir: resolve(env.MDB_KIND_DIR ?? join(REPO_ROOT, ".mdb-kind")),
    name: env.MDB_KIND_NAME ?? "mdbcluster",
    topologyFile: resolve(topologyArg >= 0 ? args[topologyArg + 1] : env.MDB_KIND_TOPOLOGY ?? join(REPO_ROOT, "e2e/local/topology-real.yaml")),
    provider: (env.MDB_KIND_PROVIDER as Provider | undefined) ?? (dockerEngineAnswers() ? "docker" : "podman"),
    network: {
      link: env.MDB_KIND_LINK ?? "mdbkind0",
      linkSubnet: env.MDB_KIND_LINK_SUBNET ?? "10.89.255.0/30",
      nodeSubnet: env.MDB_KIND_NODE_SUBNET ?? "10.89.0.0/24",
      podSubnet: env.MDB_KIND_POD_CIDR ?? "10.90.0.0/16",
      serviceSubnet: env.MDB_KIND_SERVICE_CIDR ?? "10.91.0.0/16",
    },
    log: (line) => console.error(`[kind] ${line}`),
  };
}

function dockerEngineAnswers(): boolean {
  try {
    sh("docker", ["info", "--format", "{{.ServerVersion}}"], "docker info");
    return true;
  } catch {
    return false;
  }
}

const stateFile = (stateDir: string) => join(stateDir, "state.json");

export function readState(stateDir: string): KindState | undefined {
  return existsSync(stateFile(stateDir)) ? (JSON.parse(readFileSync(stateFile(stateDir), "utf8")) as KindState) : undefined;
}

function toolPath(): string[] {
  const kind = sh("bash", [join(REPO_ROOT, "e2e/kind/install-kind.sh")], "installing the pinned kind").split("\n").pop() ?? "";
  return [kind, pinnedBinDir()];
}

/** The project's images kind:up loads: the catalog's own images (every tag) of the default build. */
function projectImages(): string[] {
  return loadCatalog().images.filter((i) => i.group === "default").flatMap((i) => i.names).filter((n) => n.startsWith("docker.io/mdbcluster/"));
}

export async function kindUp(opts: KindOptions): Promise<KindState> {
  const t0 = Date.now();
  const existing = readState(opts.stateDir);
  if (existing) {
    if (existing.ready && (existing.provider === "docker" || (existing.hostPid && alive(existing.hostPid)))) {
      opts.log(`kind cluster ${existing.name} is already up (${opts.stateDir})`);
      return existing;
    }
    opts.log(existing.ready ? "state of a kind cluster whose namespace is gone: cleaning up first" : "a kind:up that did not finish: cleaning up first");
    await kindDown(opts);
  }
  if (process.getuid?.() !== 0) throw new Error("kind:up needs root (network namespaces, routes, podman): run it as root");
  const tools: [string, string][] = opts.provider === "podman"
    ? [["podman", "podman"], ["buildah", "buildah"], ["unshare", "util-linux"], ["nsenter", "util-linux"], ["ip", "iproute2"], ["go", "Go 1.26 or newer"]]
    : [["docker", "Docker"], ["ip", "iproute2"], ["go", "Go 1.26 or newer"]];
  const missing = tools.filter(([tool]) => spawnSync("/bin/sh", ["-c", `command -v ${tool}`]).status !== 0);
  if (missing.length) throw new Error(`kind:up (${opts.provider}) needs ${missing.map(([tool, from]) => `'${tool}' (${from.includes(" ") ? from : `apt-get install -y ${from}`})`).join(", ")}`);
  const nodes = parseTopology(readFileSync(opts.topologyFile, "utf8"), opts.topologyFile);
  const path = toolPath();
  mkdirSync(opts.stateDir, { recursive: true });
  const configFile = join(opts.stateDir, "kind-config.yaml");
  const image: NodeImageSource = opts.provider === "podman"
    ? localNodeImage()
    : { kind: "kindest", image: KINDEST_NODE_IMAGE };
  writeFileSync(configFile, kindConfigYaml({
    name: opts.name, nodes, image, podSubnet: opts.network.podSubnet, serviceSubnet: opts.network.serviceSubnet,
    nodeGraceSeconds: Number(process.env.MDB_NODE_GRACE_SECONDS ?? 20), evictionSeconds: Number(process.env.MDB_EVICTION_SECONDS ?? 30),
  }));
  opts.log(`kind config for ${nodes.length} workers + 1 control plane from ${opts.topologyFile}: ${configFile}`);
  const up = opts.provider === "podman" ? await upOnPodman(opts, configFile, path) : upOnDocker(opts, configFile, path);
  up.ready = true;
  writeFileSync(stateFile(opts.stateDir), JSON.stringify(up, null, 2));
  opts.log(`kind cluster ${opts.name} ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  return up;
}

/** The node image built here and the etcd and CoreDNS tags it carries, as image-builds.yaml lists them. */
function localNodeImage(): NodeImageSource {
  const image = `docker.io/mdbcluster/kind-node:${pinnedKubernetesVersion()}`;
  const entry = loadCatalog().images.find((i) => i.names.includes(image));
  if (!entry) throw new Error(`e2e/local/image-builds.yaml has no entry for ${image}`);
  const tagOf = (repository: string): string => {
    const name = entry.archive.find((n) => n.startsWith(`${repository}:`));
    if (!name) throw new Error(`e2e/local/image-builds.yaml: ${image} archives no ${repository} image`);
    return name.slice(repository.length + 1);
  };
  return { kind: "local", image, etcdImageTag: tagOf("registry.k8s.io/etcd"), corednsImageTag: tagOf("registry.k8s.io/coredns/coredns") };
}

async function upOnPodman(opts: KindOptions, configFile: string, path: string[]): Promise<KindState> {
  let t = Date.now();
  const built = buildImages({ groups: ["default", "kind"], log: (l) => opts.log(`images: ${l}`) });
  opts.log(`images ready in ${((Date.now() - t) / 1000).toFixed(1)}s (built ${built.built.length}, cached ${built.cached.length})`);
  const state: KindState = {
    provider: "podman", name: opts.name, kubeconfig: join(opts.stateDir, "kubeconfig"), network: opts.network,
    libpodCgroupsExisted: existsSync("/sys/fs/cgroup/cpu/libpod_parent"),
  };
  writeFileSync(stateFile(opts.stateDir), JSON.stringify(state, null, 2));
  const host = await createHostNamespace(opts.stateDir, opts.network);
  state.hostPid = host.pid;
  writeFileSync(stateFile(opts.stateDir), JSON.stringify(state, null, 2));
  const env = podmanEnv(opts.stateDir, imageCacheDir(), path);
  inHost(host, "podman", ["network", "create", "--subnet", opts.network.nodeSubnet, "kind"], "creating the podman network kind", { env });
  t = Date.now();
  inHost(host, "kind", ["create", "cluster", "--name", opts.name, "--config", configFile, "--kubeconfig", join(opts.stateDir, "kubeconfig.kind"), "--retain", "--wait", "5m"],
    "kind create cluster", { env, stream: true });
  opts.log(`kind create cluster took ${((Date.now() - t) / 1000).toFixed(1)}s`);
  const controlPlaneIp = inHost(host, "podman", ["inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", `${opts.name}-control-plane`], "finding the control plane's address", { env });
  const internal = inHost(host, "kind", ["get", "kubeconfig", "--name", opts.name, "--internal"], "kind get kubeconfig", { env });
  writeFileSync(state.kubeconfig, internal.replace(`https://${opts.name}-control-plane:6443`, `https://${controlPlaneIp}:6443`));
  routePods(opts, state, (cidr, via) => inHost(host, "ip", ["route", "replace", cidr, "via", via], `routing ${cidr} in the kind host`));
  inHost(host, "ip", ["route", "replace", opts.network.serviceSubnet, "via", controlPlaneIp], "routing Services in the kind host");
  loadImages(opts, (cmd, args, what, stream) => inHost(host, cmd, args, what, { env, stream }), "podman");
  waitForNodes(opts, state);
  return state;
}

function upOnDocker(opts: KindOptions, configFile: string, path: string[]): KindState {
  const env = { ...process.env, PATH: [...path, process.env.PATH ?? ""].join(":") };
  const state: KindState = { provider: "docker", name: opts.name, kubeconfig: join(opts.stateDir, "kubeconfig"), network: opts.network, hostRoutes: [] };
  writeFileSync(stateFile(opts.stateDir), JSON.stringify(state, null, 2));
  sh("kind", ["create", "cluster", "--name", opts.name, "--config", configFile, "--kubeconfig", state.kubeconfig, "--wait", "5m"], "kind create cluster", { env, stream: true });
  // The suites reach members by pod IP: route each node's podCIDR to the node's address on Docker's network.
  routePods(opts, state, (cidr, via) => {
    sh("ip", ["route", "replace", cidr, "via", via], `routing ${cidr} to its kind node (needs root)`);
    state.hostRoutes!.push(cidr);
  });
  writeFileSync(stateFile(opts.stateDir), JSON.stringify(state, null, 2));
  for (const image of loadCatalog().images.filter((i) => i.group === "default" && i.names.some((n) => n.startsWith("docker.io/mdbcluster/")))) {
    sh("docker", ["build", "-t", image.names[0], "-f", join(REPO_ROOT, image.dockerfile), join(REPO_ROOT, image.context)], `docker build ${image.names[0]}`, { stream: true });
    for (const alias of image.names.slice(1)) sh("docker", ["tag", image.names[0], alias], `docker tag ${alias}`);
  }
  loadImages(opts, (cmd, args, what, stream) => sh(cmd, args, what, { env, stream }), "docker");
  waitForNodes(opts, state);
  return state;
}

function kubectl(state: KindState, args: string[], what: string): string {
  return sh(join(pinnedBinDir(), "kubectl"), ["--kubeconfig", state.kubeconfig, ...args], what);
}

/** Routes every node's podCIDR to its InternalIP (the host side of the cluster network). */
function routePods(opts: KindOptions, state: KindState, route: (cidr: string, via: string) => void): void {
  const lines = kubectl(state, ["get", "nodes", "-o", 'jsonpath={range .items[*]}{.spec.podCIDR} {.status.addresses[?(@.type=="InternalIP")].address}{"\\n"}{end}'], "reading the nodes' podCIDRs");
  for (const line of lines.split("\n").filter(Boolean)) {
    const [cidr, ip] = line.split(" ");
    if (cidr && ip) route(cidr, ip);
  }
  opts.log(`pod routes: ${lines.split("\n").filter(Boolean).join(", ")}`);
}

/** Runs a command where kind's provider lives: in the kind host namespace (podman) or on the machine (docker). */
type Runner = (cmd: string, args: string[], what: string, stream?: boolean) => string;

/**
 * The project's images, saved together as one archive (shared layers once) by the provider's engine
 * and loaded with `kind load image-archive` into the workers only: the control plane's NoSchedule
 * taint keeps the project's pods off it.
 */
function loadImages(opts: KindOptions, run: Runner, engine: "podman" | "docker"): void {
  const t = Date.now();
  const archive = join(opts.stateDir, "images.tar");
  const images = projectImages();
  const format = engine === "podman" ? ["--format", "docker-archive", "--multi-image-archive"] : [];
  run(engine, ["save", ...format, "--output", archive, ...images], `${engine} save of the project's images`);
  const workers = run("kind", ["get", "nodes", "--name", opts.name], "kind get nodes").split("\n").filter((n) => n && !n.endsWith("-control-plane"));
  run("kind", ["load", "image-archive", archive, "--name", opts.name, "--nodes", workers.join(",")], "kind load image-archive", true);
  rmSync(archive, { force: true });
  opts.log(`loaded ${images.length} images into the ${workers.length} workers in ${((Date.now() - t) / 1000).toFixed(1)}s: ${images.join(", ")}`);
}

function waitForNodes(opts: KindOptions, state: KindState): void {
  kubectl(state, ["wait", "--for=condition=Ready", "nodes", "--all", "--timeout=300s"], "waiting for every node to be Ready");
  kubectl(state, ["-n", "kube-system", "rollout", "status", "deployment/coredns", "--timeout=300s"], "waiting for CoreDNS");
  const names = kubectl(state, ["get", "nodes", "-L", "topology.kubernetes.io/zone,topology.mdbcluster.io/rack", "--no-headers"], "listing nodes");
  opts.log(`nodes:\n${names}`);
}

export async function kindDown(opts: KindOptions): Promise<void> {
  const state = readState(opts.stateDir);
  if (!state) {
    opts.log(`no kind cluster here (${opts.stateDir})`);
    return;
  }
  const path = toolPath();
  if (state.provider === "docker") {
    const env = { ...process.env, PATH: [...path, process.env.PATH ?? ""].join(":") };
    sh("kind", ["delete", "cluster", "--name", state.name], "kind delete cluster", { env, stream: true });
    for (const cidr of state.hostRoutes ?? []) {
      try {
        sh("ip", ["route", "delete", cidr], `removing the route to ${cidr}`);
      } catch { /* gone with Docker's network */ }
    }
  } else {
    const host: HostNamespace | undefined = state.hostPid && alive(state.hostPid) ? { pid: state.hostPid, stateDir: opts.stateDir } : undefined;
    if (host) {
      const env = podmanEnv(opts.stateDir, imageCacheDir(), path);
      inHost(host, "kind", ["delete", "cluster", "--name", state.name], "kind delete cluster", { env, stream: true });
      // Containers kind did not finish creating, then the network (its bridge and rules live in the namespace).
      inHost(host, "podman", ["rm", "--all", "--force", "--volumes"], "removing leftover containers", { env });
      inHost(host, "podman", ["network", "rm", "--force", "kind"], "removing the podman network", { env });
    }
    await removeHostNamespace(host, state.network);
    if (!state.libpodCgroupsExisted) opts.log(`removed ${removeEmptyCgroups()} empty cgroup directories podman left`);
  }
  rmSync(opts.stateDir, { recursive: true, force: true });
  opts.log(`kind cluster ${state.name} removed, ${opts.stateDir} deleted`);
}

/** The KUBECONFIG line kind:up prints. */
export function exportLine(state: KindState): string {
  return `export KUBECONFIG=${state.kubeconfig}`;
}
