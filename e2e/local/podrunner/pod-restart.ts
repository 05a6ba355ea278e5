// What happens when a container's process exits: record how it ended, then, by the restart policy,
// go on with the init sequence, restart it (at once, then with the kubelet's back-off), or leave it
// terminated; once every container has ended for good the pod is finished (Succeeded or Failed).
import { readFileSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { join } from "node:path";
import { nextConsecutiveExits, restartDelayMs, shouldRestart, terminatedState, type RestartPolicy } from "./restarts.ts";
import { computePodStatus, waiting } from "./status.ts";
import { signalGroup, type ContainerRun } from "./container-run.ts";
import type { PodCore, Starter } from "./pod-core.ts";

/** The end of a container's log, as the kubelet keeps it for FallbackToLogsOnError: the last 80 lines, at most 2048 bytes. */
function logTail(core: PodCore, container: string): string | undefined {
  try {
    const text = readFileSync(join(core.ctx.stateDir, "logs", "pods", `${core.namespace}_${core.name}`, `${container}.log`));
    const tail = text.subarray(Math.max(0, text.length - 2048)).toString("utf8").split("\n").slice(-80).join("\n");
    return tail.trim() ? tail : undefined;
  } catch {
    return undefined;
  }
}

export function onExit(core: PodCore, starter: Starter, c: ContainerRun, pid: number, code: number | null, signal: NodeJS.Signals | null): void {
  // Anything the container left behind in its process group goes with it, as with a cgroup kill.
  signalGroup(pid, "SIGKILL");
  c.stopProbes();
  const signalNumber = signal ? osConstants.signals[signal] : undefined;
  const finished = terminatedState({ code, signal, signalNumber }, (c.startedAt ?? new Date()).toISOString(), new Date().toISOString(), `mdb://${pid}`);
  if (c.killReason) finished.message = c.killReason;
  else if (finished.exitCode !== 0 && c.spec.terminationMessagePolicy === "FallbackToLogsOnError") finished.message = logTail(core, c.spec.name);
  c.proc = undefined;
  c.pid = undefined;
  c.started = false;
  c.ready = false;
  core.saveRecord();
  core.ctx.log(`pod ${core.key}: container ${c.spec.name} exited code ${finished.exitCode}${signal ? ` (${signal})` : ""}`);
  if (core.lifecycle.is("abandoned")) return;
  if (core.lifecycle.is("terminating")) {
    c.state = { terminated: finished };
    core.status.request();
    return;
  }
  const ranForMs = Date.now() - (c.startedAt?.getTime() ?? Date.now());
  const policy: RestartPolicy = c.sidecar ? "Always" : c.init ? (core.policy === "Never" ? "Never" : "OnFailure") : core.policy;
  if (c.init && !c.sidecar && finished.exitCode === 0) {
    c.state = { terminated: finished };
    core.status.request();
    starter.advance();
    return;
  }
  if (!shouldRestart(policy, finished.exitCode)) {
    c.state = { terminated: finished };
    if (c.init) core.terminal = { phase: "Failed", reason: "InitContainerFailed", message: `init container ${c.spec.name} exited with code ${finished.exitCode}` };
    core.status.request();
    checkFinished(core);
    return;
  }
  c.lastState = { terminated: finished };
  c.consecutiveExits = nextConsecutiveExits(c.consecutiveExits, ranForMs, core.ctx.backoff);
  const delayMs = restartDelayMs(c.consecutiveExits, core.ctx.backoff);
  const restart = () => {
    c.restartCount++;
    void starter.startContainer(c);
  };
  if (delayMs === 0) {
    c.state = { terminated: finished };
    c.retryTimer = setTimeout(() => { c.retryTimer = undefined; restart(); }, 0);
    core.status.request();
  } else {
    core.event("Warning", "BackOff", `Back-off restarting failed container ${c.spec.name} in pod ${core.name}_${core.namespace}(${core.uid})`, c.spec.name);
    retryLater(core, c, waiting("CrashLoopBackOff", `back-off ${Math.round(delayMs / 1000)}s restarting failed container=${c.spec.name} pod=${core.name}_${core.namespace}(${core.uid})`),
      delayMs, restart);
  }
}

/** Waits in `state` (reported at once), then runs `then`: a back-off restart, or another try at starting. */
export function retryLater(core: PodCore, c: ContainerRun, state: ContainerRun["state"], delayMs: number, then: () => void): void {
  c.state = state;
  core.status.request();
  c.retryTimer = setTimeout(() => { c.retryTimer = undefined; then(); }, delayMs);
}

/** Succeeded/Failed pods keep their object but lose their sandbox, like after the kubelet's cleanup. */
function checkFinished(core: PodCore): void {
  const phase = core.terminal?.phase ??
    (core.containers.every((c) => c.state.terminated && !c.retryTimer) ? computePodStatus(core.pod, core.view(), new Date()).phase : undefined);
  if (phase !== "Succeeded" && phase !== "Failed") return;
  core.lifecycle.tryMove("finished");
  for (const c of core.all()) {
    if (c.proc && c.pid) signalGroup(c.pid, "SIGKILL");
  }
  void core.releaseSandbox(false);
}
