// One pod's lifecycle, as the kubelet's pod worker runs it: sandbox (netns + IP), volumes, init
// containers in order, then the containers with probes and restarts, status after every change,
// and graceful termination followed by the pod's final deletion.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { join } from "node:path";
import { PatchStrategy, setHeaderOptions, type CoreV1Api, type V1Container, type V1ContainerState, type V1ContainerStatus, type V1LifecycleHandler, type V1Pod, type V1Probe } from "@kubernetes/client-node";
import { ContainerConfigError, expandArgv, referencedObjects, resolveContainerEnv, serviceEnv, type PodRuntimeFacts } from "./env.ts";
import { renderHostsFile, podHostname, type HostsPeer } from "./hosts.ts";
import { anonymousVolumes, containerArgv, lookupImage, translatePath, unmappedImageMessage, type ImageEntry, type ImageMap } from "./images.ts";
import type { IpAllocator } from "./ipam.ts";
import { apiMessage, isApiStatus } from "./nodes.ts";
import { runProbe, type ProbeOutcome } from "./probe-runner.ts";
import { initialProbeState, observeProbe, probeSettings, type HookKind, type ProbeKind, type ProbeSettings, type ProbeState } from "./probes.ts";
import { nextConsecutiveExits, restartDelayMs, restartPolicyOf, shouldRestart, terminatedState, type BackoffSettings, type RestartPolicy } from "./restarts.ts";
import { createSandbox, removeSandbox, setPartitioned, type SandboxStore } from "./sandbox.ts";
import { computePodStatus, statusFingerprint, statusPatch, waiting, type ContainerView, type PodView } from "./status.ts";
import { containerMounts, launchScript, podDir, type MountSpec } from "./volumes.ts";
import type { MountpointTracker } from "./mountpoints.ts";
import type { EventRecorder, EventType } from "./events.ts";
import { PodSources } from "./pod-sources.ts";

export interface RunnerContext {
  stateDir: string;
  repoDir: string;
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

interface ProbeRun { kind: ProbeKind; probe: V1Probe; settings: ProbeSettings; state: ProbeState; timer?: NodeJS.Timeout; busy: boolean }

class ContainerRun {
  state: V1ContainerState = waiting("ContainerCreating");
  lastState?: V1ContainerState;
  restartCount: number;
  consecutiveExits = 0;
  proc?: ChildProcess;
  pid?: number;
  startedAt?: Date;
  started = false;
  ready = false;
  env: Record<string, string> = {};
  entry?: ImageEntry;
  probes: ProbeRun[] = [];
  retryTimer?: NodeJS.Timeout;
  /** Set when the runner itself kills the container (liveness, termination): the reason to report. */
  killReason?: string;
  exited?: Promise<void>;

  constructor(readonly spec: V1Container, readonly init: boolean, restartCount: number) {
    this.restartCount = restartCount;
  }

  /** An init container with restartPolicy Always: started in order, then kept running beside the others. */
  get sidecar(): boolean {
    return this.init && this.spec.restartPolicy === "Always";
  }

  view(): ContainerView {
    return {
      name: this.spec.name, image: this.spec.image ?? "", imageID: `mdb-local://${this.spec.image ?? ""}`,
      containerID: this.pid ? `mdb://${this.pid}` : this.state.terminated?.containerID,
      state: this.state, lastState: this.lastState, restartCount: this.restartCount, started: this.started, ready: this.ready,
    };
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try { process.kill(-pid, signal); } catch { /* already gone */ }
}

const VOLUME_REFRESH_MS = 60_000;

export class PodWorker {
  pod: V1Pod;
  readonly uid: string;
  readonly key: string;
  podIP?: string;
  private sandbox?: { netns: string; hostVeth: string };
  private readonly init: ContainerRun[];
  private readonly containers: ContainerRun[];
  private readonly policy: RestartPolicy;
  private readonly startTime: Date;
  private initialized = false;
  private terminal?: PodView["terminal"];
  private terminating = false;
  private abandoned = false;
  private partitioned = false;
  private setupTimer?: NodeJS.Timeout;
  private refreshTimer?: NodeJS.Timeout;
  private statusTimer?: NodeJS.Timeout;
  private statusWriting = false;
  private statusDirty = false;
  private lastStatusJson = "";
  private readonly sources: PodSources;
  private hostsFile: string;
  private volumesReady = false;
  /** Resolves when the worker is finished (pod deleted or abandoned). */
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(pod: V1Pod, private readonly ctx: RunnerContext) {
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
    this.done = new Promise((resolve) => { this.resolveDone = resolve; });
  }

  get nodeName(): string { return this.pod.spec?.nodeName ?? ""; }

  private event(type: EventType, reason: string, message: string, container?: string): void {
    this.ctx.events.record(this.pod, { type, reason, message, container });
  }
  get namespace(): string { return this.pod.metadata!.namespace!; }
  get name(): string { return this.pod.metadata!.name!; }

  hostsPeer(): HostsPeer | undefined {
    return this.podIP && this.sandbox ? { ip: this.podIP, namespace: this.namespace, hostname: podHostname(this.pod), subdomain: this.pod.spec?.subdomain } : undefined;
  }

  /** A new version of the pod object arrived from the watch. */
  update(pod: V1Pod): void {
    this.pod = pod;
    if (pod.metadata?.deletionTimestamp && !this.terminating) void this.terminate();
  }

  start(): void {
    if (this.pod.metadata?.deletionTimestamp) {
      void this.terminate();
      return;
    }
    this.requestStatus();
    void this.setup();
  }

  // ---- setup: sandbox, hosts file, volumes, then containers ----

  private async setup(): Promise<void> {
    if (this.terminating || this.abandoned) return;
    try {
      if (!this.sandbox) {
        const ip = this.ctx.ipam.allocate(this.pod.status?.podIP);
        let sandbox: { netns: string; hostVeth: string };
        try {
          sandbox = await createSandbox(this.uid, ip, this.ctx.network);
        } catch (e) {
          this.ctx.ipam.release(ip);
          throw e;
        }
        if (this.terminating || this.abandoned) {
          // Deleted or abandoned while the namespace was being made: undo it rather than leak it.
          await removeSandbox(sandbox.netns, sandbox.hostVeth).catch(() => undefined);
          this.ctx.ipam.release(ip);
          return;
        }
        this.sandbox = sandbox;
        this.podIP = ip;
        this.saveRecord();
        mkdirSync(podDir(this.ctx.stateDir, this.uid), { recursive: true });
        this.writeHostsFile();
        this.ctx.onPodIPChanged();
        this.ctx.log(`pod ${this.key}: sandbox ${this.sandbox.netns} ip ${ip} on node ${this.nodeName}`);
      }
      if (!this.volumesReady) {
        await this.sources.materializeVolumes(this.pod, this.ctx.stateDir, this.facts());
        this.volumesReady = true;
        this.refreshTimer = setInterval(() => {
          this.sources.materializeVolumes(this.pod, this.ctx.stateDir, this.facts()).catch((e: Error) => this.ctx.log(`pod ${this.key}: volume refresh failed: ${e.message}`));
        }, VOLUME_REFRESH_MS);
      }
    } catch (e) {
      const message = (e as Error).message;
      this.ctx.log(`pod ${this.key}: setup failed, retrying in 5 s: ${message}`);
      this.event("Warning", this.sandbox ? "FailedMount" : "FailedCreatePodSandBox", message);
      for (const c of [...this.init, ...this.containers]) c.state = waiting("ContainerCreating", message);
      this.requestStatus();
      this.setupTimer = setTimeout(() => void this.setup(), 5_000);
      return;
    }
    this.requestStatus();
    this.advance();
  }

  /** Starts the next init container, or all containers once init is done. */
  private advance(): void {
    if (this.terminating || this.abandoned || this.terminal) return;
    for (const c of this.init) {
      if (c.sidecar) {
        // A sidecar (init container with restartPolicy Always) only has to be started, then keeps running.
        if (!c.proc && !c.retryTimer) void this.startContainer(c);
        if (!this.initialized && !(c.pid && c.started)) return;
        continue;
      }
      if (c.state.terminated?.exitCode === 0 || this.initialized) continue;
      if (!c.proc && !c.retryTimer) void this.startContainer(c);
      return;
    }
    if (!this.initialized) {
      this.initialized = true;
      this.requestStatus();
    }
    for (const c of this.containers) {
      if (!c.proc && !c.retryTimer && !c.state.terminated) void this.startContainer(c);
    }
  }

  private facts(): PodRuntimeFacts {
    return { podIP: this.podIP ?? "", hostIP: this.ctx.hostIP, nodeAllocatable: this.ctx.nodeAllocatable(this.nodeName) };
  }

  writeHostsFile(): void {
    const self = this.hostsPeer();
    if (!self || this.abandoned) return;
    const text = renderHostsFile(self, this.ctx.apiserver.podHost, this.ctx.peers(), this.pod.spec?.hostAliases ?? []);
    // Rewritten in place (same inode): the file is bind-mounted over each container's /etc/hosts.
    if (existsSync(this.hostsFile) && readFileSync(this.hostsFile, "utf8") === text) return;
    writeFileSync(this.hostsFile, text);
  }

  // ---- containers ----

  private retry(c: ContainerRun, state: V1ContainerState, delayMs: number, then: () => void): void {
    c.state = state;
    this.requestStatus();
    c.retryTimer = setTimeout(() => { c.retryTimer = undefined; then(); }, delayMs);
  }

  private async startContainer(c: ContainerRun): Promise<void> {
    if (this.terminating || this.abandoned || !this.sandbox) return;
    const image = c.spec.image ?? "";
    const entry = lookupImage(this.ctx.images(), image);
    if (!entry) {
      const pulledBefore = c.state.waiting?.reason === "ErrImagePull" || c.state.waiting?.reason === "ImagePullBackOff";
      const message = unmappedImageMessage(image, this.ctx.imagesFile);
      if (pulledBefore) this.event("Normal", "BackOff", `Back-off pulling image "${image}"`, c.spec.name);
      else this.event("Warning", "Failed", `Failed to pull image "${image}": ${message}`, c.spec.name);
      this.retry(c, waiting(pulledBefore ? "ImagePullBackOff" : "ErrImagePull", pulledBefore ? `Back-off pulling image "${image}": ${message}` : message),
        10_000, () => void this.startContainer(c));
      return;
    }
    c.entry = entry;
    let argv: string[];
    let mounts: MountSpec[];
    try {
      const refs = referencedObjects(c.spec);
      const [secrets, configMaps] = await Promise.all([this.sources.data("secret", refs.secrets), this.sources.data("configMap", refs.configMaps)]);
      const asText = (m: Map<string, Record<string, Buffer> | undefined>) => (n: string) => {
        const d = m.get(n);
        return d ? Object.fromEntries(Object.entries(d).map(([k, v]) => [k, v.toString("utf8")])) : undefined;
      };
      const declared = resolveContainerEnv(this.pod, c.spec, { secret: asText(secrets), configMap: asText(configMaps) }, this.facts());
      c.env = {
        PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        HOME: "/root",
        ...entry.env,
        HOSTNAME: podHostname(this.pod),
        ...serviceEnv(this.ctx.apiserver.podHost, this.ctx.apiserver.port),
        ...declared,
      };
      argv = expandArgv(containerArgv(entry, c.spec), c.env);
      const podMounts = containerMounts(this.pod, c.spec, this.ctx.stateDir);
      // Private /tmp and image VOLUMEs first, so the pod's own mounts (even nested ones) land on top.
      const anonymous = anonymousVolumes(entry, podMounts.map((m) => m.target), [this.ctx.repoDir, this.ctx.stateDir]).map((target) => ({
        source: join(podDir(this.ctx.stateDir, this.uid), "containers", c.spec.name, target.replaceAll("/", "_")), target, readOnly: false,
      }));
      mounts = [...anonymous, ...podMounts];
    } catch (e) {
      if (!(e instanceof ContainerConfigError)) {
        this.retry(c, waiting("ContainerCreating", (e as Error).message), 5_000, () => void this.startContainer(c));
        return;
      }
      this.event("Warning", "Failed", `Error: ${(e as Error).message}`, c.spec.name);
      this.retry(c, waiting("CreateContainerConfigError", (e as Error).message), 5_000, () => void this.startContainer(c));
      return;
    }
    if (this.terminating || this.abandoned) return;
    const workingDir = c.spec.workingDir ? translatePath(c.entry.paths, c.spec.workingDir) : entry.workingDir ?? this.ctx.repoDir;
    try {
      this.ctx.mountpoints.prepare(mounts, this.hostsFile);
    } catch (e) {
      this.retry(c, waiting("CreateContainerError", (e as Error).message), 5_000, () => void this.startContainer(c));
      return;
    }
    const logDir = join(this.ctx.stateDir, "logs", "pods", `${this.namespace}_${this.name}`);
    mkdirSync(logDir, { recursive: true });
    const logFile = join(logDir, `${c.spec.name}.log`);
    if (existsSync(logFile) && c.restartCount > 0) renameSync(logFile, join(logDir, `${c.spec.name}.log.prev`));
    const fd = openSync(logFile, "a");
    let child: ChildProcess;
    try {
      child = spawn("ip", ["netns", "exec", this.sandbox.netns, "/bin/bash", "-c", launchScript(this.hostsFile, mounts, workingDir), "mdb-launch", ...argv], {
        detached: true, stdio: ["ignore", fd, fd], env: c.env, cwd: this.ctx.stateDir,
      });
    } finally {
      closeSync(fd);
    }
    if (child.pid === undefined) {
      this.retry(c, waiting("RunContainerError", `could not start ${JSON.stringify(argv)}`), 5_000, () => void this.startContainer(c));
      return;
    }
    const pid = child.pid;
    c.proc = child;
    c.pid = pid;
    c.startedAt = new Date();
    c.killReason = undefined;
    c.state = { running: { startedAt: c.startedAt } };
    c.started = !c.spec.startupProbe;
    c.ready = false;
    this.saveRecord();
    c.exited = new Promise((resolve) => {
      child.on("exit", (code, signal) => { this.onExit(c, pid, code, signal); resolve(); });
      child.on("error", (err) => this.ctx.log(`pod ${this.key}: container ${c.spec.name}: ${err.message}`));
    });
    this.ctx.log(`pod ${this.key}: container ${c.spec.name} started pid ${pid}: ${argv.join(" ")}`);
    this.event("Normal", "Pulled", `Container image "${image}" already present on machine`, c.spec.name);
    this.event("Normal", "Created", `Created container: ${c.spec.name}`, c.spec.name);
    this.event("Normal", "Started", `Started container ${c.spec.name}`, c.spec.name);
    const postStart = c.spec.lifecycle?.postStart;
    if (postStart) {
      // As the kubelet: probes wait for postStart; a failed hook kills the container (restart policy applies).
      const outcome = await this.runHook(c, pid, "postStart", postStart, this.gracePeriodMs() || 30_000);
      if (c.pid !== pid || this.terminating || this.abandoned) return;
      if (!outcome.ok) {
        c.killReason = `PostStartHookError: ${outcome.message}`;
        this.event("Warning", "FailedPostStartHook", c.killReason, c.spec.name);
        this.ctx.log(`pod ${this.key}: container ${c.spec.name}: ${c.killReason}`);
        signalGroup(pid, "SIGKILL");
        return;
      }
    }
    if (!c.init || c.sidecar) this.startProbes(c);
    if ((!c.init || c.sidecar) && !c.spec.readinessProbe && c.started) c.ready = true;
    this.requestStatus();
    if (c.sidecar && c.started) this.advance();
  }

  private onExit(c: ContainerRun, pid: number, code: number | null, signal: NodeJS.Signals | null): void {
    // Anything the container left behind in its process group goes with it, as with a cgroup kill.
    signalGroup(pid, "SIGKILL");
    this.stopProbes(c);
    const signalNumber = signal ? osConstants.signals[signal] : undefined;
    const finished = terminatedState({ code, signal, signalNumber }, (c.startedAt ?? new Date()).toISOString(), new Date().toISOString(), `mdb://${pid}`);
    if (c.killReason) finished.message = c.killReason;
    c.proc = undefined;
    c.pid = undefined;
    c.started = false;
    c.ready = false;
    this.saveRecord();
    this.ctx.log(`pod ${this.key}: container ${c.spec.name} exited code ${finished.exitCode}${signal ? ` (${signal})` : ""}`);
    if (this.abandoned) return;
    if (this.terminating) {
      c.state = { terminated: finished };
      this.requestStatus();
      return;
    }
    const ranForMs = Date.now() - (c.startedAt?.getTime() ?? Date.now());
    const policy: RestartPolicy = c.sidecar ? "Always" : c.init ? (this.policy === "Never" ? "Never" : "OnFailure") : this.policy;
    if (c.init && !c.sidecar && finished.exitCode === 0) {
      c.state = { terminated: finished };
      this.requestStatus();
      this.advance();
      return;
    }
    if (!shouldRestart(policy, finished.exitCode)) {
      c.state = { terminated: finished };
      if (c.init) this.terminal = { phase: "Failed", reason: "InitContainerFailed", message: `init container ${c.spec.name} exited with code ${finished.exitCode}` };
      this.requestStatus();
      this.checkFinished();
      return;
    }
    c.lastState = { terminated: finished };
    c.consecutiveExits = nextConsecutiveExits(c.consecutiveExits, ranForMs, this.ctx.backoff);
    const delayMs = restartDelayMs(c.consecutiveExits, this.ctx.backoff);
    const restart = () => {
      c.restartCount++;
      void this.startContainer(c);
    };
    if (delayMs === 0) {
      c.state = { terminated: finished };
      c.retryTimer = setTimeout(() => { c.retryTimer = undefined; restart(); }, 0);
      this.requestStatus();
    } else {
      this.event("Warning", "BackOff", `Back-off restarting failed container ${c.spec.name} in pod ${this.name}_${this.namespace}(${this.uid})`, c.spec.name);
      this.retry(c, waiting("CrashLoopBackOff", `back-off ${Math.round(delayMs / 1000)}s restarting failed container=${c.spec.name} pod=${this.name}_${this.namespace}(${this.uid})`),
        delayMs, restart);
    }
  }

  /** Succeeded/Failed pods keep their object but lose their sandbox, like after the kubelet's cleanup. */
  private checkFinished(): void {
    const view = this.view();
    const phase = this.terminal?.phase ?? (this.containers.every((c) => c.state.terminated && !c.retryTimer) ? computePodStatus(this.pod, view, new Date()).phase : undefined);
    if (phase !== "Succeeded" && phase !== "Failed") return;
    for (const c of [...this.init, ...this.containers]) {
      if (c.proc && c.pid) signalGroup(c.pid, "SIGKILL");
    }
    void this.releaseSandbox(false);
  }

  // ---- probes ----

  private startProbes(c: ContainerRun): void {
    const add = (kind: ProbeKind, probe: V1Probe | undefined) => {
      if (!probe) return;
      const settings = probeSettings(probe, kind);
      c.probes.push({ kind, probe, settings, state: initialProbeState(kind), busy: false });
    };
    add("startup", c.spec.startupProbe);
    add("readiness", c.spec.readinessProbe);
    add("liveness", c.spec.livenessProbe);
    for (const p of c.probes) {
      if (p.kind === "startup" || !c.spec.startupProbe) this.scheduleProbe(c, p, p.settings.initialDelayMs);
    }
  }

  private stopProbes(c: ContainerRun): void {
    for (const p of c.probes) clearTimeout(p.timer);
    c.probes = [];
  }

  private scheduleProbe(c: ContainerRun, p: ProbeRun, delayMs: number): void {
    clearTimeout(p.timer);
    p.timer = setTimeout(() => void this.probeOnce(c, p), delayMs);
  }

  private async probeOnce(c: ContainerRun, p: ProbeRun): Promise<void> {
    const pid = c.pid;
    if (!pid || !this.podIP || this.terminating || this.abandoned || !c.probes.includes(p)) return;
    // While partitioned the runner cannot reach the pod; a kubelet beside it could, so probes pause
    // rather than restarting a container that is merely cut off from its peers.
    if (this.partitioned) return this.scheduleProbe(c, p, p.settings.periodMs);
    p.busy = true;
    const outcome = await runProbe(p.probe, p.kind, this.probeTarget(c, pid), p.settings.timeoutMs);
    p.busy = false;
    if (c.pid !== pid || !c.probes.includes(p)) return;
    const before = p.state.result;
    p.state = observeProbe(p.state, outcome.ok, p.settings);
    // Log a failure when it starts a run of failures or decides the result, not on every period.
    if (!outcome.ok && (p.state.consecutiveFailures === 1 || p.state.result !== before)) {
      this.ctx.log(`pod ${this.key}: ${p.kind} probe of ${c.spec.name} failed (${p.state.consecutiveFailures} in a row): ${outcome.message}`);
    }
    if (!outcome.ok) this.event("Warning", "Unhealthy", `${p.kind[0].toUpperCase()}${p.kind.slice(1)} probe failed: ${outcome.message}`, c.spec.name);
    if (p.kind === "startup") {
      if (p.state.result === "success") {
        c.started = true;
        clearTimeout(p.timer);
        c.probes = c.probes.filter((x) => x !== p);
        for (const other of c.probes) this.scheduleProbe(c, other, other.settings.initialDelayMs);
        if (!c.spec.readinessProbe) c.ready = true;
        this.requestStatus();
        if (c.sidecar) this.advance();
        return;
      }
      if (p.state.result === "failure") return this.killForProbe(c, pid, `Container ${c.spec.name} failed startup probe, will be restarted`);
    } else if (p.kind === "liveness") {
      if (p.state.result === "failure") return this.killForProbe(c, pid, `Container ${c.spec.name} failed liveness probe, will be restarted`);
    } else if (p.state.result !== before || c.ready !== (p.state.result === "success")) {
      c.ready = p.state.result === "success";
      this.requestStatus();
    }
    this.scheduleProbe(c, p, p.settings.periodMs);
  }

  private killForProbe(c: ContainerRun, pid: number, reason: string): void {
    this.ctx.log(`pod ${this.key}: ${reason}`);
    this.event("Normal", "Killing", reason, c.spec.name);
    c.killReason = reason;
    this.stopProbes(c);
    void this.stopProcess(pid, this.gracePeriodMs(), c);
  }

  /** Runs a postStart/preStop handler (exec, httpGet, tcpSocket or sleep) against the running container. */
  private async runHook(c: ContainerRun, pid: number, kind: HookKind, handler: V1LifecycleHandler, timeoutMs: number): Promise<ProbeOutcome> {
    if (handler.sleep) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(handler.sleep!.seconds * 1000, timeoutMs)));
      return { ok: true, message: "slept" };
    }
    if (!this.podIP) return { ok: false, message: "the pod has no IP" };
    const probe: V1Probe = { exec: handler.exec, httpGet: handler.httpGet, tcpSocket: handler.tcpSocket };
    return runProbe(probe, kind, this.probeTarget(c, pid), timeoutMs);
  }

  private probeTarget(c: ContainerRun, pid: number) {
    return {
      podIP: this.podIP ?? "", pid, container: c.spec, env: c.env,
      translateArgv: (argv: string[]) => (c.entry ? containerArgv(c.entry, { name: c.spec.name, command: argv }) : argv),
    };
  }

  /** preStop hook, SIGTERM to the process group, SIGKILL after the grace period; resolves when it is gone. */
  private async stopProcess(pid: number, graceMs: number, c: ContainerRun): Promise<void> {
    const preStop = c.spec.lifecycle?.preStop;
    if (preStop && c.pid === pid) {
      const started = Date.now();
      const outcome = await this.runHook(c, pid, "preStop", preStop, graceMs);
      if (!outcome.ok) this.ctx.log(`pod ${this.key}: container ${c.spec.name}: preStop hook failed: ${outcome.message}`);
      // As the kubelet: the hook uses up the grace period, with at least 2 s left for SIGTERM.
      graceMs = Math.max(2_000, graceMs - (Date.now() - started));
    }
    signalGroup(pid, "SIGTERM");
    const exited = c.exited ?? Promise.resolve();
    const timer = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), graceMs));
    if ((await Promise.race([exited, timer])) === "timeout") {
      signalGroup(pid, "SIGKILL");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    }
  }

  private gracePeriodMs(): number {
    const seconds = this.pod.metadata?.deletionGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30;
    return Math.max(0, seconds) * 1000;
  }

  // ---- faults ----

  /** SIGKILL a container's process group (all containers when none is named); restart policy applies. */
  kill(containerName?: string): string {
    const targets = containerName ? this.containers.filter((c) => c.spec.name === containerName) : this.containers;
    if (containerName && targets.length === 0) {
      throw new Error(`pod ${this.key} has no container "${containerName}"; it has: ${this.containers.map((c) => c.spec.name).join(", ")}`);
    }
    const killed = targets.filter((c) => c.pid !== undefined);
    if (killed.length === 0) throw new Error(`pod ${this.key}: no running container${containerName ? ` "${containerName}"` : ""} to kill`);
    for (const c of killed) signalGroup(c.pid!, "SIGKILL");
    return `killed ${killed.map((c) => `${c.spec.name} (pid ${c.pid})`).join(", ")} in pod ${this.key}`;
  }

  async partition(cut: boolean): Promise<string> {
    if (!this.sandbox) throw new Error(`pod ${this.key} has no network yet (it is still being set up)`);
    await setPartitioned(this.sandbox.hostVeth, cut);
    this.partitioned = cut;
    return `${cut ? "partitioned" : "healed"} pod ${this.key} (${this.podIP}, ${this.sandbox.hostVeth} ${cut ? "down" : "up"})`;
  }

  // ---- termination ----

  /** Graceful deletion: SIGTERM, grace period, SIGKILL, final status, sandbox removal, pod removal. */
  async terminate(): Promise<void> {
    if (this.terminating || this.abandoned) return;
    this.terminating = true;
    this.clearTimers();
    const graceMs = this.gracePeriodMs();
    this.ctx.log(`pod ${this.key}: terminating (grace ${graceMs / 1000} s)`);
    await Promise.all([...this.init, ...this.containers].map(async (c) => {
      clearTimeout(c.retryTimer);
      c.retryTimer = undefined;
      this.stopProbes(c);
      if (c.pid) {
        this.event("Normal", "Killing", `Stopping container ${c.spec.name}`, c.spec.name);
        await this.stopProcess(c.pid, graceMs, c);
      } else if (!c.state.terminated) c.state = { terminated: { exitCode: 0, reason: "ContainerStatusUnknown", message: "The container was never started" } };
    }));
    if (this.abandoned) return;
    await this.flushStatus().catch(() => undefined);
    await this.releaseSandbox(true);
    try {
      await this.ctx.core.deleteNamespacedPod({ name: this.name, namespace: this.namespace, gracePeriodSeconds: 0,
        body: { gracePeriodSeconds: 0, preconditions: { uid: this.uid } } });
    } catch (e) {
      if (!isApiStatus(e, 404) && !isApiStatus(e, 409)) this.ctx.log(`pod ${this.key}: final delete failed: ${apiMessage(e)}`);
    }
    this.ctx.log(`pod ${this.key}: deleted`);
    this.resolveDone();
  }

  /** The pod vanished from the API (force delete) or its node stopped: kill at once, write nothing. */
  async abandon(): Promise<void> {
    if (this.abandoned) return;
    this.abandoned = true;
    this.clearTimers();
    await Promise.all([...this.init, ...this.containers].map(async (c) => {
      clearTimeout(c.retryTimer);
      this.stopProbes(c);
      if (c.pid) {
        signalGroup(c.pid, "SIGKILL");
        await Promise.race([c.exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      }
    }));
    await this.releaseSandbox(true);
    this.resolveDone();
  }

  /** Runner shutdown: stop containers gracefully (grace capped), remove the sandbox, leave the pod object. */
  async shutdown(maxGraceMs: number): Promise<void> {
    this.abandoned = true;
    this.clearTimers();
    await Promise.all([...this.init, ...this.containers].map(async (c) => {
      clearTimeout(c.retryTimer);
      this.stopProbes(c);
      if (c.pid) await this.stopProcess(c.pid, Math.min(maxGraceMs, this.gracePeriodMs()), c);
    }));
    await this.releaseSandbox(false);
    this.resolveDone();
  }

  private clearTimers(): void {
    clearTimeout(this.setupTimer);
    clearInterval(this.refreshTimer);
    clearTimeout(this.statusTimer);
  }

  private async releaseSandbox(removePodDir: boolean): Promise<void> {
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

  private saveRecord(): void {
    if (!this.sandbox || !this.podIP) return;
    this.ctx.sandboxes.save({
      pod: this.key, uid: this.uid, netns: this.sandbox.netns, hostVeth: this.sandbox.hostVeth, ip: this.podIP,
      pids: [...this.init, ...this.containers].flatMap((c) => (c.pid ? [c.pid] : [])),
    });
  }

  // ---- status ----

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

  requestStatus(): void {
    if (this.abandoned) return;
    this.statusDirty = true;
    if (this.statusTimer || this.statusWriting) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = undefined;
      void this.flushStatus();
    }, 20);
  }

  private async flushStatus(): Promise<void> {
    if (this.statusWriting || this.abandoned) return;
    this.statusWriting = true;
    try {
      while (this.statusDirty && !this.abandoned) {
        this.statusDirty = false;
        const status = computePodStatus(this.pod, this.view(), new Date());
        const json = statusFingerprint(status);
        if (json === this.lastStatusJson) continue;
        try {
          await this.ctx.core.patchNamespacedPodStatus({ name: this.name, namespace: this.namespace, body: statusPatch(status) },
            setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch));
          this.lastStatusJson = json;
        } catch (e) {
          if (isApiStatus(e, 404)) return;
          if (isApiStatus(e, 422)) {
            this.ctx.log(`pod ${this.key}: status update refused: ${apiMessage(e)}`);
            return;
          }
          this.ctx.log(`pod ${this.key}: status update failed, retrying: ${apiMessage(e)}`);
          this.statusDirty = true;
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        }
      }
    } finally {
      this.statusWriting = false;
    }
  }

  /** A compact summary for the control socket's status action. */
  summary(): Record<string, unknown> {
    return {
      pod: this.key, node: this.nodeName, ip: this.podIP, netns: this.sandbox?.netns, partitioned: this.partitioned,
      containers: [...this.init, ...this.containers].map((c) => ({ name: c.spec.name, pid: c.pid, restartCount: c.restartCount,
        state: Object.keys(c.state)[0], reason: c.state.waiting?.reason ?? c.state.terminated?.reason, ready: c.ready })),
    };
  }
}
