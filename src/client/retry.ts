/** Pause before a retry: initialMs, doubling with each retry up to maxMs. */
export interface RetryDelay {
  initialMs: number;
  maxMs: number;
}

/** An option that must be a whole number from min to max; `fallback` when absent. */
export function wholeNumber(name: string, value: number | undefined, fallback: number, min: number, max: number, fail: (message: string) => Error): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min || v > max) throw fail(`${name} must be a whole number from ${min} to ${max}, got ${String(value)}`);
  return v;
}

/** The retryDelay option with its defaults (200 and 10,000 ms); maxMs is never below initialMs. */
export function resolveRetryDelay(option: Partial<RetryDelay> | undefined, fail: (message: string) => Error): RetryDelay {
  const initialMs = wholeNumber('retryDelay.initialMs', option?.initialMs, 200, 1, 1_000_000_000, fail);
  return { initialMs, maxMs: Math.max(initialMs, wholeNumber('retryDelay.maxMs', option?.maxMs, 10_000, 1, 1_000_000_000, fail)) };
}

/** The pause before the `retry`-th retry (from 1). */
export const backoffMs = (delay: RetryDelay, retry: number): number => Math.min(delay.maxMs, delay.initialMs * 2 ** (retry - 1));
