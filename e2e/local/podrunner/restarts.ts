// Restart policy and crash-loop back-off as the kubelet applies them: the first restart is immediate,
// each further one waits base·2^(n-2) capped at 5 minutes; a container that ran for 10 minutes is
// considered stable and its back-off starts over.
import type { V1ContainerStateTerminated } from "@kubernetes/client-node";

export type RestartPolicy = "Always" | "OnFailure" | "Never";

export const DEFAULT_BACKOFF = { baseMs: 10_000, capMs: 300_000, stableAfterMs: 600_000 } as const;

export interface BackoffSettings { baseMs: number; capMs: number; stableAfterMs: number }

/** Reads MDB_PODRUNNER_BACKOFF_BASE_MS / _CAP_MS so tests can shrink the back-off. */
export function backoffFromEnv(env: Record<string, string | undefined>): BackoffSettings {
  const read = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name}="${raw}": expected a non-negative number of milliseconds`);
    return n;
  };
  const baseMs = read("MDB_PODRUNNER_BACKOFF_BASE_MS", DEFAULT_BACKOFF.baseMs);
  return { baseMs, capMs: Math.max(baseMs, read("MDB_PODRUNNER_BACKOFF_CAP_MS", DEFAULT_BACKOFF.capMs)), stableAfterMs: DEFAULT_BACKOFF.stableAfterMs };
}

export function restartPolicyOf(value: string | undefined): RestartPolicy {
  if (value === undefined || value === "") return "Always";
  if (value === "Always" || value === "OnFailure" || value === "Never") return value;
  throw new Error(`spec.restartPolicy "${value}" is not one of Always, OnFailure, Never`);
}

export function shouldRestart(policy: RestartPolicy, exitCode: number): boolean {
  return policy === "Always" || (policy === "OnFailure" && exitCode !== 0);
}

/**
 * Delay before the next start, given how many times in a row the container has exited without
 * running stably (1 = it has just exited for the first time).
 */
export function restartDelayMs(consecutiveExits: number, settings: BackoffSettings): number {
  if (consecutiveExits <= 1) return 0;
  return Math.min(settings.capMs, settings.baseMs * 2 ** (consecutiveExits - 2));
}

/** Counts the exits in a row: a run longer than stableAfterMs resets the count to this exit alone. */
export function nextConsecutiveExits(previous: number, ranForMs: number, settings: BackoffSettings): number {
  return ranForMs >= settings.stableAfterMs ? 1 : previous + 1;
}

/** The terminated state for an exit: 128+signal for signals, reason Completed/Error as the kubelet. */
export function terminatedState(exit: { code: number | null; signal: string | null; signalNumber?: number },
  startedAt: string, finishedAt: string, containerID: string): V1ContainerStateTerminated {
  const exitCode = exit.code ?? 128 + (exit.signalNumber ?? 9);
  return {
    exitCode,
    signal: exit.signalNumber,
    reason: exitCode === 0 ? "Completed" : "Error",
    startedAt: new Date(startedAt),
    finishedAt: new Date(finishedAt),
    containerID,
  };
}
