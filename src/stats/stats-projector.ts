import type { Logger } from '../observability/logger.ts';
import type { EventStore } from '../store/event-store.ts';
import { createSleeper } from '../events/sleeper.ts';

export interface StatsProjectorOptions {
  store: Pick<EventStore, 'projectStats'>;
  batchSize: number;
  idleMs: number;
  /** Least time between two steps that are not catching up a full batch: commits in between are counted together. */
  intervalMs: number;
  logger: Logger;
}

export interface StatsProjector {
  start(): void;
  notify(position: number): void;
  /** The checkpoint as this instance last saw it (0 before its first step). */
  position(): number;
  stop(): Promise<void>;
}

// Exactly once across crashes and instances: the checkpoint's lock lets one count at a time;
// polling every `idleMs` covers lost wake-ups.
export function createStatsProjector(options: StatsProjectorOptions): StatsProjector {
  const log = options.logger.child({ component: 'stats' });
  let stopping = false;
  let seen = 0;
  let known = 0;
  let loop: Promise<void> | null = null;

  const { sleep, wake } = createSleeper();

  let last = -Infinity;
  async function paced() {
    for (let wait = last + options.intervalMs - performance.now(); wait > 0 && !stopping; wait = last + options.intervalMs - performance.now()) await sleep(wait);
  }

  async function run() {
    let backoff = 100;
    let failing = false;
    let full = false;
    while (!stopping) {
      try {
        if (!full) await paced();
        if (stopping) return;
        last = performance.now();
        const step = await options.store.projectStats(options.batchSize);
        full = step.locked && step.events === options.batchSize;
        if (failing) log.info('stats projection resumed');
        failing = false;
        backoff = 100;
        if (step.locked) seen = step.position;
        if (full) continue;
        if (stopping) return;
        if (!step.locked || step.events === 0 || known <= seen) await sleep(options.idleMs);
      } catch (error) {
        if (!failing) log.warn({ err: (error as Error).message }, 'stats projection failed; retrying');
        failing = true;
        if (stopping) return;
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 5_000);
      }
    }
  }

  return {
    start() {
      loop ??= run();
    },
    notify(position) {
      known = Math.max(known, position);
      if (position > seen) wake();
    },
    position: () => seen,
    async stop() {
      stopping = true;
      wake();
      await loop;
    },
  };
}
