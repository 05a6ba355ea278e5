// Probe bookkeeping as the kubelet's prober does it: defaults, thresholds, and what each kind of
// probe starts as. Pure; the shell (probe-runner.ts) performs the checks and feeds outcomes in.
import type { V1Probe } from "@kubernetes/client-node";

export type ProbeKind = "startup" | "readiness" | "liveness";
/** Lifecycle hooks run through the same handlers as probes. */
export type HookKind = "postStart" | "preStop";

/** How a probe or hook is named in messages: `livenessProbe`, `lifecycle.preStop`. */
export function handlerField(kind: ProbeKind | HookKind): string {
  return kind === "postStart" || kind === "preStop" ? `lifecycle.${kind}` : `${kind}Probe`;
}
export type ProbeResult = "unknown" | "success" | "failure";

export interface ProbeSettings {
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
}

/** Kubernetes defaults: period 10 s, timeout 1 s, success 1, failure 3, no initial delay. */
export function probeSettings(probe: V1Probe, kind: ProbeKind): ProbeSettings {
  const positive = (value: number | undefined, fallback: number, field: string, min = 1): number => {
    if (value === undefined || value === 0) return fallback;
    if (!Number.isInteger(value) || value < min) throw new Error(`${kind}Probe.${field} must be an integer ≥ ${min}, got ${value}`);
    return value;
  };
  const successThreshold = positive(probe.successThreshold, 1, "successThreshold");
  if (kind !== "readiness" && successThreshold !== 1) {
    throw new Error(`${kind}Probe.successThreshold must be 1, got ${successThreshold}`);
  }
  return {
    initialDelayMs: positive(probe.initialDelaySeconds, 0, "initialDelaySeconds", 0) * 1000,
    periodMs: positive(probe.periodSeconds, 10, "periodSeconds") * 1000,
    timeoutMs: positive(probe.timeoutSeconds, 1, "timeoutSeconds") * 1000,
    successThreshold,
    failureThreshold: positive(probe.failureThreshold, 3, "failureThreshold"),
  };
}

export interface ProbeState {
  result: ProbeResult;
  consecutiveSuccesses: number;
  consecutiveFailures: number;
}

/** Readiness starts failed (not ready until proven), liveness succeeded, startup unknown. */
export function initialProbeState(kind: ProbeKind): ProbeState {
  const result: ProbeResult = kind === "readiness" ? "failure" : kind === "liveness" ? "success" : "unknown";
  return { result, consecutiveSuccesses: 0, consecutiveFailures: 0 };
}

/** The result flips only after `successThreshold` successes or `failureThreshold` failures in a row. */
export function observeProbe(state: ProbeState, succeeded: boolean, settings: ProbeSettings): ProbeState {
  const consecutiveSuccesses = succeeded ? state.consecutiveSuccesses + 1 : 0;
  const consecutiveFailures = succeeded ? 0 : state.consecutiveFailures + 1;
  let result = state.result;
  if (succeeded && consecutiveSuccesses >= settings.successThreshold) result = "success";
  if (!succeeded && consecutiveFailures >= settings.failureThreshold) result = "failure";
  return { result, consecutiveSuccesses, consecutiveFailures };
}

/** Which handler a probe uses, or an error naming the probe when it has none or several. */
export function probeHandler(probe: V1Probe, kind: ProbeKind | HookKind): "exec" | "httpGet" | "tcpSocket" | "grpc" {
  const handlers = (["exec", "httpGet", "tcpSocket", "grpc"] as const).filter((h) => probe[h] !== undefined);
  if (handlers.length !== 1) {
    throw new Error(`${handlerField(kind)} must set exactly one of exec, httpGet, tcpSocket, grpc (found ${handlers.join(", ") || "none"})`);
  }
  return handlers[0];
}

/** Resolves a probe port (number or named container port) to a number. */
export function resolveProbePort(port: number | string, containerPorts: { name?: string; containerPort: number }[], kind: ProbeKind | HookKind): number {
  if (typeof port === "number") return port;
  if (/^[0-9]+$/.test(port)) return Number(port);
  const named = containerPorts.find((p) => p.name === port);
  if (!named) throw new Error(`${handlerField(kind)} port "${port}" names no port of the container; declare it under ports or use a number`);
  return named.containerPort;
}
