import { ApiError } from './problem.js';

/** @param {number} ms @param {AbortSignal} signal resolves early when it aborts */
export const sleep = (ms, signal) => new Promise((resolve) => {
  const timer = setTimeout(resolve, ms);
  signal.addEventListener('abort', () => { clearTimeout(timer); resolve(undefined); }, { once: true });
});

/**
 * Whether asking again may get another answer: no answer at all, a 5xx, 408 or 429. Any other
 * 4xx would be the same next time.
 * @param {unknown} error
 */
export const mayPass = (error) => error instanceof ApiError && (error.status === 0 || error.status >= 500 || error.status === 408 || error.status === 429);

/**
 * Runs `step` now and then every `everyMs` while it answers true and the signal holds. A step
 * that fails for a reason that may pass is shown through `show` and tried again after the same
 * interval; the next success calls `show(null)`. Other failures (a 4xx, a 401, an abort) are
 * thrown: asking again would not help.
 * @param {AbortSignal} signal
 * @param {number} everyMs
 * @param {() => Promise<boolean>} step true: poll again
 * @param {(error: unknown) => void} show the problem of a failed step; null once a step succeeds
 */
export async function poll(signal, everyMs, step, show) {
  for (;;) {
    try {
      const again = await step();
      show(null);
      if (!again) return;
    } catch (error) {
      if (signal.aborted || !mayPass(error)) throw error;
      show(error);
    }
    await sleep(everyMs, signal);
    if (signal.aborted) return;
  }
}
