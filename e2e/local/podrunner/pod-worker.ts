// One pod's lifecycle, as the kubelet's pod worker runs it: sandbox (netns + IP), volumes, init
// containers in order, then the containers with probes and restarts, status after every change,
// and graceful termination followed by the pod's final deletion.
//
// The stages live in their own files around the shared PodCore (pod-core.ts), one lifecycle state
// (pod-state.ts) deciding what may happen next:
//   pod-start.ts    sandbox, volumes, init order, container processes, postStart
//   pod-probes.ts   startup, readiness and liveness probes
//   pod-restart.ts  a container's exit: restart policy, back-off, the pod finishing
//   pod-stop.ts     the one stop loop: deletion, abandonment, runner shutdown, a failed probe
import type { V1Pod } from "@kubernetes/client-node";
import type { HostsPeer } from "./hosts.ts";
import { setPartitioned } from "./sandbox.ts";
import { signalGroup } from "./container-run.ts";
import { PodCore, type RunnerContext } from "./pod-core.ts";
import { PodStarter } from "./pod-start.ts";
import { abandon, shutdown, terminate } from "./pod-stop.ts";

export class PodWorker {
  private readonly core: PodCore;
  private readonly starter: PodStarter;

  constructor(pod: V1Pod, ctx: RunnerContext) {
    this.core = new PodCore(pod, ctx);
    this.starter = new PodStarter(this.core);
  }

  get pod(): V1Pod { return this.core.pod; }
  get uid(): string { return this.core.uid; }
  get key(): string { return this.core.key; }
  get podIP(): string | undefined { return this.core.podIP; }
  get nodeName(): string { return this.core.nodeName; }
  get namespace(): string { return this.core.namespace; }
  get name(): string { return this.core.name; }
  /** Resolves when the worker is finished (pod deleted or abandoned). */
  get done(): Promise<void> { return this.core.done; }

  hostsPeer(): HostsPeer | undefined { return this.core.hostsPeer(); }
  writeHostsFile(): void { this.core.writeHostsFile(); }

  /** A new version of the pod object arrived from the watch. */
  update(pod: V1Pod): void {
    this.core.pod = pod;
    if (pod.metadata?.deletionTimestamp) void this.terminate();
  }

  start(): void {
    if (this.core.pod.metadata?.deletionTimestamp) {
      void this.terminate();
      return;
    }
    this.core.lifecycle.moveTo("setting-up");
    this.core.status.request();
    void this.starter.setup();
  }

  // ---- stopping (pod-stop.ts) ----

  /** Graceful deletion: SIGTERM, grace period, SIGKILL, final status, sandbox removal, pod removal. */
  terminate(): Promise<void> { return terminate(this.core); }

  /** The pod vanished from the API (force delete) or its node stopped: kill at once, write nothing. */
  abandon(): Promise<void> { return abandon(this.core); }

  /** Runner shutdown: stop containers gracefully (grace capped), remove the sandbox, leave the pod object. */
  shutdown(maxGraceMs: number): Promise<void> { return shutdown(this.core, maxGraceMs); }

  // ---- faults ----

  /** SIGKILL a container's process group (all containers when none is named); restart policy applies. */
  kill(containerName?: string): string {
    const { containers, key } = this.core;
    const targets = containerName ? containers.filter((c) => c.spec.name === containerName) : containers;
    if (containerName && targets.length === 0) {
      throw new Error(`pod ${key} has no container "${containerName}"; it has: ${containers.map((c) => c.spec.name).join(", ")}`);
    }
    const killed = targets.filter((c) => c.pid !== undefined);
    if (killed.length === 0) throw new Error(`pod ${key}: no running container${containerName ? ` "${containerName}"` : ""} to kill`);
    for (const c of killed) signalGroup(c.pid!, "SIGKILL");
    return `killed ${killed.map((c) => `${c.spec.name} (pid ${c.pid})`).join(", ")} in pod ${key}`;
  }

  async partition(cut: boolean): Promise<string> {
    const core = this.core;
    const sandbox = core.sandbox;
    if (!sandbox) throw new Error(`pod ${core.key} has no network yet (it is still being set up)`);
    await setPartitioned(sandbox.hostVeth, cut);
    core.partitioned = cut;
    return `${cut ? "partitioned" : "healed"} pod ${core.key} (${core.podIP}, ${sandbox.hostVeth} ${cut ? "down" : "up"})`;
  }

  /** A compact summary for the control socket's status action. */
  summary(): Record<string, unknown> {
    const core = this.core;
    return {
      pod: core.key, node: core.nodeName, ip: core.podIP, netns: core.sandbox?.netns, partitioned: core.partitioned,
      lifecycle: core.lifecycle.state,
      containers: core.all().map((c) => ({ name: c.spec.name, pid: c.pid, restartCount: c.restartCount,
        state: Object.keys(c.state)[0], reason: c.state.waiting?.reason ?? c.state.terminated?.reason, ready: c.ready })),
    };
  }
}
