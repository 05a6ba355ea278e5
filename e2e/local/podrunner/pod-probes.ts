// Probing a running container: startup first (the others wait for it), then readiness and liveness
// on their periods. A startup success marks the container started (and lets the init sequence go on
// past a sidecar); a liveness or startup failure stops the container, and its restart policy applies.
import type { V1Probe } from "@kubernetes/client-node";
import { runProbe } from "./probe-runner.ts";
import { initialProbeState, observeProbe, probeSettings, type ProbeKind } from "./probes.ts";
import type { ContainerRun, ProbeRun } from "./container-run.ts";
import type { PodCore, Starter } from "./pod-core.ts";
import { stopOne } from "./pod-stop.ts";

export function startProbes(core: PodCore, starter: Starter, c: ContainerRun): void {
  const add = (kind: ProbeKind, probe: V1Probe | undefined) => {
    if (!probe) return;
    const settings = probeSettings(probe, kind);
    c.probes.push({ kind, probe, settings, state: initialProbeState(kind), busy: false });
  };
  add("startup", c.spec.startupProbe);
  add("readiness", c.spec.readinessProbe);
  add("liveness", c.spec.livenessProbe);
  for (const p of c.probes) {
    if (p.kind === "startup" || !c.spec.startupProbe) scheduleProbe(core, starter, c, p, p.settings.initialDelayMs);
  }
}

function scheduleProbe(core: PodCore, starter: Starter, c: ContainerRun, p: ProbeRun, delayMs: number): void {
  clearTimeout(p.timer);
  p.timer = setTimeout(() => void probeOnce(core, starter, c, p), delayMs);
}

async function probeOnce(core: PodCore, starter: Starter, c: ContainerRun, p: ProbeRun): Promise<void> {
  const pid = c.pid;
  if (!pid || !core.podIP || core.lifecycle.stopping || !c.probes.includes(p)) return;
  // While partitioned the runner cannot reach the pod; a kubelet beside it could, so probes pause
  // rather than restarting a container that is merely cut off from its peers.
  if (core.partitioned) return scheduleProbe(core, starter, c, p, p.settings.periodMs);
  p.busy = true;
  const outcome = await runProbe(p.probe, p.kind, core.probeTarget(c, pid), p.settings.timeoutMs);
  p.busy = false;
  if (c.pid !== pid || !c.probes.includes(p)) return;
  const before = p.state.result;
  p.state = observeProbe(p.state, outcome.ok, p.settings);
  // Log a failure when it starts a run of failures or decides the result, not on every period.
  if (!outcome.ok && (p.state.consecutiveFailures === 1 || p.state.result !== before)) {
    core.ctx.log(`pod ${core.key}: ${p.kind} probe of ${c.spec.name} failed (${p.state.consecutiveFailures} in a row): ${outcome.message}`);
  }
  if (!outcome.ok) core.event("Warning", "Unhealthy", `${p.kind[0].toUpperCase()}${p.kind.slice(1)} probe failed: ${outcome.message}`, c.spec.name);
  if (p.kind === "startup") {
    if (p.state.result === "success") {
      c.started = true;
      clearTimeout(p.timer);
      c.probes = c.probes.filter((x) => x !== p);
      for (const other of c.probes) scheduleProbe(core, starter, c, other, other.settings.initialDelayMs);
      if (!c.spec.readinessProbe) c.ready = true;
      core.status.request();
      if (c.sidecar) starter.advance();
      return;
    }
    if (p.state.result === "failure") return killForProbe(core, c, pid, `Container ${c.spec.name} failed startup probe, will be restarted`);
  } else if (p.kind === "liveness") {
    if (p.state.result === "failure") return killForProbe(core, c, pid, `Container ${c.spec.name} failed liveness probe, will be restarted`);
  } else if (p.state.result !== before || c.ready !== (p.state.result === "success")) {
    c.ready = p.state.result === "success";
    core.status.request();
  }
  scheduleProbe(core, starter, c, p, p.settings.periodMs);
}

function killForProbe(core: PodCore, c: ContainerRun, pid: number, reason: string): void {
  core.ctx.log(`pod ${core.key}: ${reason}`);
  core.event("Normal", "Killing", reason, c.spec.name);
  c.killReason = reason;
  c.stopProbes();
  void stopOne(core, c, pid);
}
