// Wait for a condition instead of sleeping: poll `predicate` until it returns a truthy value (or
// resolves to one), and fail with a message naming what was awaited and the last error seen.

export interface WaitForOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Human description used in the timeout error, e.g. "cluster_state:ok on 127.0.1.3". */
  what: string;
}

export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  { timeoutMs = 20_000, intervalMs = 50, what }: WaitForOptions,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let lastValue: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value as NonNullable<T>;
      lastValue = value;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const detail = lastError !== undefined
        ? `last error: ${lastError instanceof Error ? lastError.message : String(lastError)}`
        : `last value: ${JSON.stringify(lastValue)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${detail})`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
