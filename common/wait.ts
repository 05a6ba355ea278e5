// Wait for a condition instead of sleeping: one helper for the operator, the sidecar, the proving
// ground and every test suite.

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface WaitForOptions {
  /** Human description used in the timeout error, e.g. "cluster_state:ok on 127.0.1.3". */
  what: string;
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Polls `probe` until it returns something other than undefined, null or false, and resolves with
 * that value; rejects after `timeoutMs` naming `what` and the last error or value seen. An error
 * with `fatal: true` stops the wait at once.
 */
export async function waitFor<T>(
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  { what, timeoutMs = 20_000, intervalMs = 50 }: WaitForOptions,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let lastValue: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
      lastValue = value;
      lastError = undefined;
    } catch (err) {
      if ((err as { fatal?: boolean }).fatal) throw err;
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const detail = lastError !== undefined
        ? `last error: ${lastError instanceof Error ? lastError.message : String(lastError)}`
        : `last value: ${JSON.stringify(lastValue)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${detail})`);
    }
    await sleep(intervalMs);
  }
}
