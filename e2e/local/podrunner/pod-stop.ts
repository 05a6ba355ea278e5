// Stopping a pod's containers, in one loop for every reason a pod stops: deletion (terminate: grace
// period, final status, pod deleted), a vanished pod or stopped node (abandon: SIGKILL, nothing
// written) and the runner's own shutdown (grace capped, pod object left). A failed probe stops a
// single container the same way (stopContainer).
import type { V1LifecycleHandler } from "@kubernetes/client-node";
import { apiMessage, isApiStatus } from "./nodes.ts";
import type { ProbeOutcome } from "./probe-runner.ts";
import type { HookKind } from "./probes.ts";
import { signalGroup, type ContainerRun } from "./container-run.ts";
import type { PodCore } from "./pod-core.ts";

/** How to stop a container: gracefully (preStop hook, SIGTERM, SIGKILL once graceMs is up) or at once (SIGKILL). */
export type StopHow = { graceMs: number } | "kill";

/** After SIGKILL, how long to wait for the exit before going on without it. */
export const KILL_WAIT_MS = 5_000;

/** What stopping needs besides the container: its preStop hook run, a log line, signals (tests watch them). */
export interface StopDeps {
  runHook(c: ContainerRun, pid: number, kind: HookKind, handler: V1LifecycleHandler, timeoutMs: number): Promise<ProbeOutcome>;
  log(msg: string): void;
  signal?(pid: number, signal: NodeJS.Signals): void;
}

/** What the stop loop does beside stopping: for a container it stops, and for one that was not running. */
export interface StopEach {
  running?(c: ContainerRun): void;
  idle?(c: ContainerRun): void;
}

function after(ms: number): { done: Promise<"timeout">; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const done = new Promise<"timeout">((resolve) => { timer = setTimeout(() => resolve("timeout"), ms); });
  return { done, cancel: () => clearTimeout(timer) };
}

/** One container's process: preStop, SIGTERM to the process group, SIGKILL after the grace period; resolves when it is gone. */
export async function stopContainer(c: ContainerRun, pid: number, how: StopHow, deps: StopDeps): Promise<void> {
  const signal = deps.signal ?? signalGroup;
  const exited = c.exited ?? Promise.resolve();
  if (how !== "kill") {
    let graceMs = how.graceMs;
    const preStop = c.spec.lifecycle?.preStop;
    if (preStop && c.pid === pid) {
      const started = Date.now();
      const outcome = await deps.runHook(c, pid, "preStop", preStop, graceMs);
      if (!outcome.ok) deps.log(`container ${c.spec.name}: preStop hook failed: ${outcome.message}`);
      // As the kubelet: the hook uses up the grace period, with at least 2 s left for SIGTERM.
      graceMs = Math.max(2_000, graceMs - (Date.now() - started));
    }
    signal(pid, "SIGTERM");
    const grace = after(graceMs);
    const outcome = await Promise.race([exited, grace.done]);
    grace.cancel();
    if (outcome !== "timeout") return;
  }
  signal(pid, "SIGKILL");
  const wait = after(KILL_WAIT_MS);
  await Promise.race([exited, wait.done]);
  wait.cancel();
}

/**
 * The stop loop: every container's pending restart and probes are cancelled, and every running one
 * is stopped, all at once; resolves when all of them are gone.
 */
export async function stopContainers(containers: readonly ContainerRun[], how: StopHow, deps: StopDeps, each: StopEach = {}): Promise<void> {
  await Promise.all(containers.map(async (c) => {
    c.cancelRetry();
    c.stopProbes();
    if (c.pid) {
      each.running?.(c);
      await stopContainer(c, c.pid, how, deps);
    } else {
      each.idle?.(c);
    }
  }));
}

function stopDeps(core: PodCore): StopDeps {
  return { runHook: (...args) => core.runHook(...args), log: (msg) => core.ctx.log(`pod ${core.key}: ${msg}`) };
}

/** Stops one container for its pod (a failed liveness or startup probe); the restart policy then applies. */
export function stopOne(core: PodCore, c: ContainerRun, pid: number): Promise<void> {
  return stopContainer(c, pid, { graceMs: core.gracePeriodMs() }, stopDeps(core));
}

function stopPod(core: PodCore, how: StopHow, each?: StopEach): Promise<void> {
  core.clearTimers();
  return stopContainers(core.all(), how, stopDeps(core), each);
}

/** Graceful deletion: SIGTERM, grace period, SIGKILL, final status, sandbox removal, pod removal. */
export async function terminate(core: PodCore): Promise<void> {
  if (!core.lifecycle.tryMove("terminating")) return;
  const graceMs = core.gracePeriodMs();
  core.ctx.log(`pod ${core.key}: terminating (grace ${graceMs / 1000} s)`);
  await stopPod(core, { graceMs }, {
    running: (c) => core.event("Normal", "Killing", `Stopping container ${c.spec.name}`, c.spec.name),
    idle: (c) => {
      if (!c.state.terminated) c.state = { terminated: { exitCode: 0, reason: "ContainerStatusUnknown", message: "The container was never started" } };
    },
  });
  if (core.lifecycle.is("abandoned")) return;
  await core.status.flush().catch(() => undefined);
  await core.releaseSandbox(true);
  try {
    await core.ctx.core.deleteNamespacedPod({ name: core.name, namespace: core.namespace, gracePeriodSeconds: 0,
      body: { gracePeriodSeconds: 0, preconditions: { uid: core.uid } } });
  } catch (e) {
    if (!isApiStatus(e, 404) && !isApiStatus(e, 409)) core.ctx.log(`pod ${core.key}: final delete failed: ${apiMessage(e)}`);
  }
  core.ctx.log(`pod ${core.key}: deleted`);
  core.finish();
}

/** The pod vanished from the API (force delete) or its node stopped: kill at once, write nothing. */
export async function abandon(core: PodCore): Promise<void> {
  if (!core.lifecycle.tryMove("abandoned")) return;
  await stopPod(core, "kill");
  await core.releaseSandbox(true);
  core.finish();
}

/** Runner shutdown: stop containers gracefully (grace capped), remove the sandbox, leave the pod object. */
export async function shutdown(core: PodCore, maxGraceMs: number): Promise<void> {
  core.lifecycle.tryMove("abandoned");
  await stopPod(core, { graceMs: Math.min(maxGraceMs, core.gracePeriodMs()) });
  await core.releaseSandbox(false);
  core.finish();
}
