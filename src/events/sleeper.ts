/** A sleep that another part of a background loop can cut short: `wake()` ends the current sleep, if any, at once. */
export interface Sleeper {
  sleep(ms: number): Promise<void>;
  /** Ends the sleep in progress; a no-op while the loop is awake. */
  wake(): void;
}

export function createSleeper(): Sleeper {
  let wake: (() => void) | null = null;
  return {
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          wake = null;
          resolve();
        }
        wake = done;
      }),
    wake: () => wake?.(),
  };
}
