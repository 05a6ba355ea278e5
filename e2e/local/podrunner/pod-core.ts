// What every stage of a pod worker shares: the pod, its containers, its lifecycle state, its sandbox,
// the status writer, and the few things each stage asks of them (events, grace period, hooks against
// a running container, the hosts file, the sandbox record). The stages live beside it: pod-start.ts,
// pod-probes.ts, pod-restart.ts, pod-stop.ts; pod-worker.ts ties them together.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CoreV1Api, V1ContainerStatus, V1LifecycleHandler, V1Pod, V1Probe } from "@kubernetes/client-node";
import type { PodRuntimeFacts } from "./env.ts";
import { renderHostsFile, podHostname, type HostsPeer } from "./hosts.ts";
import { containerArgv, type ImageMap } from "./images.ts";
import type { IpAllocator } from "./ipam.ts";
import { runProbe, type ProbeOutcome } from "./probe-runner.ts";
import type { HookKind } from "./probes.ts";
import { restartPolicyOf, type BackoffSettings, type RestartPolicy } from "./restarts.ts";
import { removeSandbox, type SandboxStore } from "./sandbox.ts";
import { computePodStatus, type PodView } from "./status.ts";
import { podDir } from "./volumes.ts";
import type { MountpointTracker } from "./mountpoints.ts";
import type { EventRecorder, EventType } from "./events.ts";
import { PodSources } from "./pod-sources.ts";
import { ContainerRun } from "./container-run.ts";
import { PodLifecycle } from "./pod-state.ts";
import { StatusWriter } from "./status-writer.ts";

export interface RunnerContext {
  stateDir: string;
  repoDir: string;
  /** Host paths the containers' programs need and no mount may hide (keepVisible in volumes.ts). */
  visiblePaths: string[];
  core: CoreV1Api;
  images: () => ImageMap;
  imagesFile: string;
  network: { bridge: string; prefixLength: number; gateway: string; netnsPrefix?: string };
  apiserver: { podHost: string; port: number };
  caFile: string;
  ipam: IpAllocator;
  sandboxes: SandboxStore;
  mountpoints: MountpointTracker;
  events: EventRecorder;
  backoff: BackoffSettings;
  hostIP: string;
  nodeAllocatable(node: string): Record<string, string>;
  peers(): HostsPeer[];
  onPodIPChanged(): void;
  log(msg: string): void;
}

/** What the restart and probe stages ask of the start stage (pod-start.ts), so they need not import it. */
export interface Starter {
  /** Starts the next init container, or all containers once init is done. */
  advance(): void;
  startContainer(c: ContainerRun): Promise<void>;
}

export class PodCore {
  pod: V1Pod;
  readonly uid: string;
  readonly key: string;
  readonly lifecycle = new PodLifecycle();
  readonly init: ContainerRun[];
  readonly containers: ContainerRun[];
  readonly policy: RestartPolicy;
  readonly startTime: Date;
  readonly hostsFile: string;
  readonly sources: PodSources;
  readonly status: StatusWriter;
  podIP?: string;
  sandbox?: { netns: string; hostVeth: string };
  /** The init containers are done (the Initialized condition); stays true through termination. */
  initialized = false;
  /** Why the pod failed before its containers ran (an init container that may not restart). */
  terminal?: PodView["terminal"];
  /** Cut off by the partition fault: probes pause. A fault, not a lifecycle stage. */
  partitioned = false;
  setupTimer?: NodeJS.Timeout;
  refreshTimer?: NodeJS.Timeout;
  /** Resolves when the worker is finished (pod deleted or abandoned). */
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(pod: V1Pod, readonly ctx: RunnerContext) {
    this.pod = pod;
    this.uid = pod.metadata!.uid!;
    this.key = `${pod.metadata!.namespace}/${pod.metadata!.name}`;
    this.policy = restartPolicyOf(pod.spec?.restartPolicy);
    // A pod taken up again (runner or node restart) keeps the start time it already had.
    this.startTime = pod.status?.startTime ? new Date(pod.status.startTime) : new Date();
    // A pod that ran before (runner or node restart) keeps its restart counts, as after a kubelet restart.
    const prior = (name: string, list: V1ContainerStatus[] | undefined) => {
      const s = (list ?? []).find((c) => c.name === name);
      return s ? s.restartCount + (s.state?.running || s.state?.terminated ? 1 : 0) : 0;
    };
    this.init = (pod.spec?.initContainers ?? []).map((c) => new ContainerRun(c, true, prior(c.name, pod.status?.initContainerStatuses)));
    this.containers = (pod.spec?.containers ?? []).map((c) => new ContainerRun(c, false, prior(c.name, pod.status?.containerStatuses)));
    this.hostsFile = join(podDir(ctx.stateDir, this.uid), "etc-hosts");
    this.sources = new PodSources(ctx.core, ctx.caFile, pod);
    this.status = new StatusWriter({
      core: ctx.core, name: this.name, namespace: this.namespace, key: this.key, log: ctx.log,
      compute: () => computePodStatus(this.pod, this.view(), new Date()),
      enabled: () => !this.lifecycle.is("abandoned"),
    });
    this.done = new Promise((resolve) => { this.resolveDone = resolve; });
  }

  get nodeName(): string { return this.pod.spec?.nodeName ?? ""; }
  get namespace(): string { return this.pod.metadata!.namespace!; }
  get name(): string { return this.pod.metadata!.name!; }

  /** Init containers first, then the containers. */
  all(): ContainerRun[] { return [...this.init, ...this.containers]; }

  /** The worker is done: the runner forgets it. */
  finish(): void { this.resolveDone(); }

  event(type: EventType, reason: string, message: string, container?: string): void {
    this.ctx.events.record(this.pod, { type, reason, message, container });
  }

  facts(): PodRuntimeFacts {
    return { podIP: this.podIP ?? "", hostIP: this.ctx.hostIP, nodeAllocatable: this.ctx.nodeAllocatable(this.nodeName) };
  }

  gracePeriodMs(): number {
    const seconds = this.pod.metadata?.deletionGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30;
    return Math.max(0, seconds) * 1000;
  }

  clearTimers(): void {
    clearTimeout(this.setupTimer);
    clearInterval(this.refreshTimer);
    this.status.cancel();
  }

  // ---- reaching a running container ----

  /** Runs a postStart/preStop handler (exec, httpGet, tcpSocket or sleep) against the running container. */
  async runHook(c: ContainerRun, pid: number, kind: HookKind, handler: V1LifecycleHandler, timeoutMs: number): Promise<ProbeOutcome> {
    if (handler.sleep) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(handler.sleep!.seconds * 1000, timeoutMs)));
      return { ok: true, message: "slept" };
    }
    if (!this.podIP) return { ok: false, message: "the pod has no IP" };
    const probe: V1Probe = { exec: handler.exec, httpGet: handler.httpGet, tcpSocket: handler.tcpSocket };
    return runProbe(probe, kind, this.probeTarget(c, pid), timeoutMs);
  }

  probeTarget(c: ContainerRun, pid: number) {
    return {
      podIP: this.podIP ?? "", pid, container: c.spec, env: c.env,
      translateArgv: (argv: string[]) => (c.entry ? containerArgv(c.entry, { name: c.spec.name, command: argv }) : argv),
    };
  }

  // ---- sandbox, hosts file, record ----

  hostsPeer(): HostsPeer | undefined {
    return this.podIP && this.sandbox ? { ip: this.podIP, namespace: this.namespace, hostname: podHostname(this.pod), subdomain: this.pod.spec?.subdomain } : undefined;
  }

  writeHostsFile(): void {
    const self = this.hostsPeer();
    if (!self || this.lifecycle.is("abandoned")) return;
    const text = renderHostsFile(self, this.ctx.apiserver.podHost, this.ctx.peers(), this.pod.spec?.hostAliases ?? []);
    // Rewritten in place (same inode): the file is bind-mounted over each container's /etc/hosts.
    if (existsSync(this.hostsFile) && readFileSync(this.hostsFile, "utf8") === text) return;
    writeFileSync(this.hostsFile, text);
  }

  saveRecord(): void {
    if (!this.sandbox || !this.podIP) return;
    this.ctx.sandboxes.save({
      pod: this.key, uid: this.uid, netns: this.sandbox.netns, hostVeth: this.sandbox.hostVeth, ip: this.podIP,
      pids: this.all().flatMap((c) => (c.pid ? [c.pid] : [])),
    });
  }

  async releaseSandbox(removePodDir: boolean): Promise<void> {
    if (this.sandbox) {
      const { netns, hostVeth } = this.sandbox;
      this.sandbox = undefined;
      try {
        await removeSandbox(netns, hostVeth);
      } catch (e) {
        this.ctx.log(`pod ${this.key}: removing ${netns} failed: ${(e as Error).message}`);
      }
      this.ctx.sandboxes.remove(netns);
      if (this.podIP) this.ctx.ipam.release(this.podIP);
      this.ctx.onPodIPChanged();
    }
    if (removePodDir) rmSync(podDir(this.ctx.stateDir, this.uid), { recursive: true, force: true });
  }

  view(): PodView {
    return {
      sandboxReady: this.sandbox !== undefined,
      podIP: this.podIP,
      hostIP: this.ctx.hostIP,
      startTime: this.startTime,
      restartPolicy: this.policy,
      initContainers: this.init.map((c) => c.view()),
      initialized: this.initialized || this.init.length === 0,
      containers: this.containers.map((c) => c.view()),
      terminal: this.terminal,
    };
  }
}
