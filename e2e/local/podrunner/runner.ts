// The pod runner: the proving ground's kubelet for every node in cluster.json. Watches pods bound to
// its nodes and runs one PodWorker per pod; keeps the Nodes alive; provisions local volumes; answers
// fault-injection requests on <state>/podrunner.sock.
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync } from "node:fs";
import type { Server } from "node:http";
import { join } from "node:path";
import {
  CoordinationV1Api, CoreV1Api, KubeConfig, makeInformer, StorageV1Api,
  type Informer, type ObjectCache, type V1PersistentVolume, type V1PersistentVolumeClaim, type V1Pod, type KubernetesObject,
} from "@kubernetes/client-node";
import type { ClusterInfo } from "../cluster-info.ts";
import { controlSocketPath, serveControl, splitPodRef, type ControlReply, type ControlRequest } from "./control.ts";
import { parseImageMap, type ImageMap } from "./images.ts";
import { valkeyBinDir } from "../../../testing/engine-binaries.ts";
import { IpAllocator, parsePodRange } from "./ipam.ts";
import { MountpointTracker } from "./mountpoints.ts";
import { apiMessage, isApiStatus, NodeKeeper } from "./nodes.ts";
import { PodWorker } from "./pod-worker.ts";
import type { RunnerContext } from "./pod-core.ts";
import type { BackoffSettings } from "./restarts.ts";
import { processInNetns, removeSandbox, SandboxStore } from "./sandbox.ts";
import { LocalProvisioner } from "./storage.ts";
import { EventRecorder } from "./events.ts";
import { KubeletLogServer } from "./kubelet-api.ts";

export interface RunnerOptions {
  repoDir: string;
  imagesFile: string;
  backoff: BackoffSettings;
  /** Port of the kubelet log API on the gateway address (`kubectl logs`). */
  kubeletPort: number;
  log: (msg: string) => void;
}

/**
 * What the containers' programs need to see wherever the checkout and the caches live (under /tmp too,
 * where a pod's /tmp volume would cover them): the checkout, the packages it runs with (node_modules
 * may be a link to elsewhere), the state dir and the pinned valkey-server the engine images map to
 * (MDB_CACHE may be anywhere; hidden, an engine pod would find only Debian's redis-server on its PATH).
 */
function visiblePaths(repoDir: string, stateDir: string): string[] {
  const modules = join(repoDir, "node_modules");
  const valkey = valkeyBinDir();
  return [repoDir, ...(existsSync(modules) ? [realpathSync(modules)] : []), stateDir, ...(existsSync(valkey) ? [realpathSync(valkey)] : [])];
}

export class PodRunner {
  private readonly kc = new KubeConfig();
  private readonly core: CoreV1Api;
  private readonly keeper: NodeKeeper;
  private readonly workers = new Map<string, PodWorker>();
  private readonly finished = new Set<string>();
  private readonly sandboxes: SandboxStore;
  private readonly mountpoints: MountpointTracker;
  private readonly ipam: IpAllocator;
  private readonly provisioner: LocalProvisioner;
  private readonly kubeletApi: KubeletLogServer;
  private readonly ctx: RunnerContext;
  private informers: Informer<KubernetesObject>[] = [];
  private podInformer?: Informer<V1Pod> & ObjectCache<V1Pod>;
  private server?: Server;
  private stopping = false;
  private imageCache?: { mtimeMs: number; map: ImageMap };

  constructor(private readonly cluster: ClusterInfo, private readonly opts: RunnerOptions) {
    this.kc.loadFromFile(cluster.kubeconfig);
    this.core = this.kc.makeApiClient(CoreV1Api);
    const runnerDir = join(cluster.stateDir, "podrunner");
    mkdirSync(runnerDir, { recursive: true });
    this.sandboxes = new SandboxStore(join(runnerDir, "sandboxes"));
    this.mountpoints = new MountpointTracker(join(runnerDir, "mountpoints.json"));
    this.ipam = new IpAllocator(parsePodRange(cluster.network.podRange));
    this.kubeletApi = new KubeletLogServer(cluster.stateDir, cluster.network.gateway, opts.kubeletPort, opts.log);
    this.keeper = new NodeKeeper(this.core, this.kc.makeApiClient(CoordinationV1Api), cluster.nodes, cluster.network.gateway, opts.log, opts.kubeletPort);
    this.provisioner = new LocalProvisioner(this.core, this.kc.makeApiClient(StorageV1Api), cluster.stateDir,
      new Set(cluster.nodes.map((n) => n.name)), opts.log);
    this.images(); // fail at start on a broken image map
    this.ctx = {
      stateDir: cluster.stateDir, repoDir: opts.repoDir, visiblePaths: visiblePaths(opts.repoDir, cluster.stateDir), core: this.core,
      images: () => this.images(), imagesFile: opts.imagesFile,
      network: { bridge: cluster.network.bridge, prefixLength: cluster.network.prefixLength, gateway: cluster.network.gateway, netnsPrefix: cluster.network.netnsPrefix },
      apiserver: cluster.apiserver, caFile: cluster.caFile, ipam: this.ipam, sandboxes: this.sandboxes,
      mountpoints: this.mountpoints, events: new EventRecorder(this.core, opts.log), backoff: opts.backoff, hostIP: cluster.network.gateway,
      nodeAllocatable: (node) => cluster.nodes.find((n) => n.name === node)?.capacity ?? {},
      peers: () => [...this.workers.values()].flatMap((w) => w.hostsPeer() ?? []),
      onPodIPChanged: () => this.rewriteHostsFiles(),
      log: opts.log,
    };
  }

  /** The image map, re-read when the file changes so a new entry needs no runner restart. */
  private images(): ImageMap {
    const mtimeMs = statSync(this.opts.imagesFile).mtimeMs;
    if (!this.imageCache || this.imageCache.mtimeMs !== mtimeMs) {
      const map = parseImageMap(readFileSync(this.opts.imagesFile, "utf8"), {
        repo: this.opts.repoDir, tsx: import.meta.resolve("tsx"), node: process.execPath, valkey: valkeyBinDir(),
      }, this.opts.imagesFile);
      this.imageCache = { mtimeMs, map };
    }
    return this.imageCache.map;
  }

  async start(): Promise<void> {
    const t0 = Date.now();
    await this.cleanLeftovers();
    await this.listen();
    await this.kubeletApi.start();
    await this.keeper.registerAll();
    this.opts.log(`nodes registered in ${Date.now() - t0} ms`);
    this.keeper.start();
    await this.provisioner.ensureStorageClass();
    this.podInformer = makeInformer<V1Pod>(this.kc, "/api/v1/pods", () => this.core.listPodForAllNamespaces());
    this.podInformer.on("add", (p) => this.onPod(p));
    this.podInformer.on("update", (p) => this.onPod(p));
    this.podInformer.on("delete", (p) => this.onPodDeleted(p));
    this.watchRestarting(this.podInformer as unknown as Informer<KubernetesObject>, "pods");
    const claims = makeInformer<V1PersistentVolumeClaim>(this.kc, "/api/v1/persistentvolumeclaims", () => this.core.listPersistentVolumeClaimForAllNamespaces());
    const onClaim = (c: V1PersistentVolumeClaim) => this.provisioner.onClaim(c).catch((e: Error) => this.opts.log(`provisioning failed: ${e.message}`));
    claims.on("add", onClaim);
    claims.on("update", onClaim);
    const volumes = makeInformer<V1PersistentVolume>(this.kc, "/api/v1/persistentvolumes", () => this.core.listPersistentVolume());
    const onVolume = (v: V1PersistentVolume) => this.provisioner.onVolume(v).catch((e: Error) => this.opts.log(`volume cleanup failed: ${e.message}`));
    volumes.on("add", onVolume);
    volumes.on("update", onVolume);
    this.watchRestarting(claims as unknown as Informer<KubernetesObject>, "persistentvolumeclaims");
    this.watchRestarting(volumes as unknown as Informer<KubernetesObject>, "persistentvolumes");
    await Promise.all(this.informers.map((i) => i.start()));
    this.opts.log(`pod runner ready in ${Date.now() - t0} ms: ${this.cluster.nodes.length} nodes, control socket ${controlSocketPath(this.cluster.stateDir)}`);
  }

  private watchRestarting(informer: Informer<KubernetesObject>, what: string): void {
    this.informers.push(informer);
    informer.on("error", (err: unknown) => {
      if (this.stopping) return;
      this.opts.log(`watch on ${what} failed (${(err as Error)?.message ?? String(err)}); restarting in 1 s`);
      setTimeout(() => { if (!this.stopping) informer.start().catch(() => undefined); }, 1_000);
    });
  }

  /** Removes sandboxes and processes a previous runner instance recorded and left behind. */
  private async cleanLeftovers(): Promise<void> {
    for (const record of this.sandboxes.all()) {
      for (const pid of record.pids) {
        if (processInNetns(pid, record.netns)) {
          try { process.kill(-pid, "SIGKILL"); } catch { /* gone */ }
        }
      }
      await removeSandbox(record.netns, record.hostVeth).catch((e: Error) => this.opts.log(`leftover ${record.netns}: ${e.message}`));
      this.sandboxes.remove(record.netns);
      this.opts.log(`removed leftover sandbox ${record.netns} of ${record.pod}`);
    }
    this.mountpoints.cleanup();
  }

  private onPod(pod: V1Pod): void {
    if (this.stopping) return;
    const node = pod.spec?.nodeName;
    const uid = pod.metadata?.uid;
    if (!node || !uid || !this.keeper.has(node) || this.keeper.isStopped(node) || this.finished.has(uid)) return;
    const existing = this.workers.get(uid);
    if (existing) {
      existing.update(pod);
      return;
    }
    if (pod.metadata?.deletionTimestamp) {
      // Nothing of it runs here (node restarted, or runner restarted): confirm the deletion as the kubelet does.
      this.finished.add(uid);
      this.core.deleteNamespacedPod({ name: pod.metadata.name!, namespace: pod.metadata.namespace!, gracePeriodSeconds: 0,
        body: { gracePeriodSeconds: 0, preconditions: { uid } } }).catch((e) => {
        if (!isApiStatus(e, 404) && !isApiStatus(e, 409)) this.opts.log(`pod ${pod.metadata!.namespace}/${pod.metadata!.name}: delete failed: ${apiMessage(e)}`);
      });
      return;
    }
    if (pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed") return;
    let worker: PodWorker;
    try {
      worker = new PodWorker(pod, this.ctx);
    } catch (e) {
      this.opts.log(`pod ${pod.metadata?.namespace}/${pod.metadata?.name}: cannot run it: ${(e as Error).message}`);
      this.finished.add(uid);
      return;
    }
    this.workers.set(uid, worker);
    void worker.done.then(() => {
      if (this.workers.get(uid) === worker) this.workers.delete(uid);
    });
    try {
      worker.start();
    } catch (e) {
      this.opts.log(`pod ${worker.key}: ${(e as Error).message}`);
    }
  }

  private onPodDeleted(pod: V1Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    const worker = this.workers.get(uid);
    this.finished.add(uid);
    if (worker) void worker.abandon();
  }

  private rewriteHostsFiles(): void {
    for (const w of this.workers.values()) {
      try { w.writeHostsFile(); } catch (e) { this.opts.log(`pod ${w.key}: hosts file: ${(e as Error).message}`); }
    }
  }

  private findWorker(ref: string): PodWorker {
    const { namespace, name } = splitPodRef(ref);
    const found = [...this.workers.values()].find((w) => w.namespace === namespace && w.name === name);
    if (!found) throw new Error(`pod ${namespace}/${name} is not running on the proving ground (kubectl get pod -n ${namespace} ${name} -o wide)`);
    return found;
  }

  private checkNode(node: string): void {
    if (!this.keeper.has(node)) throw new Error(`node "${node}" is not one of the proving ground's nodes: ${this.cluster.nodes.map((n) => n.name).join(", ")}`);
  }

  async handle(req: ControlRequest): Promise<ControlReply> {
    switch (req.action) {
      case "kill":
        return { ok: true, message: this.findWorker(req.pod).kill(req.container) };
      case "partition": case "heal":
        return { ok: true, message: await this.findWorker(req.pod).partition(req.action === "partition") };
      case "stop-node": {
        this.checkNode(req.node);
        if (this.keeper.isStopped(req.node)) return { ok: true, message: `node ${req.node} is already stopped` };
        this.keeper.stopNode(req.node);
        const onNode = [...this.workers.values()].filter((w) => w.nodeName === req.node);
        for (const w of onNode) this.workers.delete(w.uid);
        await Promise.all(onNode.map((w) => w.abandon()));
        return { ok: true, message: `stopped node ${req.node}: heartbeats off, ${onNode.length} pod(s) killed (${onNode.map((w) => w.key).join(", ") || "none"})` };
      }
      case "start-node": {
        this.checkNode(req.node);
        if (!this.keeper.isStopped(req.node)) return { ok: true, message: `node ${req.node} is already running` };
        await this.keeper.startNode(req.node);
        const pods = (this.podInformer?.list() ?? []).filter((p) => p.spec?.nodeName === req.node);
        for (const p of pods) this.onPod(p);
        return { ok: true, message: `started node ${req.node}: heartbeats on, ${pods.length} pod(s) bound to it taken up again` };
      }
      case "status":
        return { ok: true, message: `${this.workers.size} pod(s)`, data: {
          nodes: this.cluster.nodes.map((n) => ({ name: n.name, stopped: this.keeper.isStopped(n.name) })),
          pods: [...this.workers.values()].map((w) => w.summary()),
        } };
    }
  }

  private async listen(): Promise<void> {
    this.server = await serveControl(this.cluster.stateDir, (req) => this.handle(req), this.opts.log);
  }

  /** Stops every container (grace capped at `maxGraceMs`), removes sandboxes and mount points. */
  async shutdown(maxGraceMs = 3_000): Promise<void> {
    this.stopping = true;
    this.keeper.shutdown();
    await Promise.all(this.informers.map((i) => i.stop().catch(() => undefined)));
    this.server?.close();
    this.kubeletApi.stop();
    await Promise.all([...this.workers.values()].map((w) => w.shutdown(maxGraceMs)));
    this.workers.clear();
    await this.cleanLeftovers();
    rmSync(controlSocketPath(this.cluster.stateDir), { force: true });
  }
}
