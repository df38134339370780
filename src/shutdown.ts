import { performance } from 'node:perf_hooks';
import { withDeadline } from './events/deadline.ts';
import type { Logger } from './observability/logger.ts';

export interface ShutdownOptions {
  /** SHUTDOWN_TIMEOUT_MS: how long requests in flight may take. */
  timeoutMs: number;
}

export interface StepOptions {
  /** The step that lets requests in flight finish (the HTTP server): it gets SHUTDOWN_TIMEOUT_MS. */
  finishesRequests?: boolean;
}

/** Steps that had not finished at their deadline; the rest ran without them. */
export class ShutdownAbandonedError extends Error {
  override name = 'ShutdownAbandonedError';
  constructor(readonly steps: string[]) {
    super(`shutdown steps abandoned at their deadline: ${steps.join(', ')}`);
  }
}

// The steps after the requests share as long as the requests had, and at least this: the relay
// drains for up to 2 s before it saves its checkpoint.
const AFTER_REQUESTS_MIN_MS = 5_000;
// The HTTP server closes the connections still open at SHUTDOWN_TIMEOUT_MS itself; this is for them to go.
const FORCED_CLOSE_MS = 1_000;

/**
 * Steps stop in reverse order of registration (server first, database last); a failing step is
 * logged and the rest still run. Each has a deadline, so the whole takes at most SHUTDOWN_TIMEOUT_MS
 * plus max(SHUTDOWN_TIMEOUT_MS, 5 s): a step still running at its deadline (one waiting on a
 * PostgreSQL that does not answer, say) is logged by name and abandoned, and the next one starts.
 * No step after the requests takes more than half of their share, so one stuck step leaves the
 * others time.
 */
export function createShutdown(logger: Pick<Logger, 'warn' | 'error'> & Partial<Pick<Logger, 'debug'>>, options: ShutdownOptions = { timeoutMs: 10_000 }) {
  const steps: { name: string; stop: () => unknown; finishesRequests: boolean }[] = [];
  let running: Promise<string[]> | undefined;

  async function runStep(step: (typeof steps)[number], deadline: number): Promise<boolean> {
    const started = performance.now();
    logger.debug?.({ step: step.name }, 'shutdown step');
    // A step's own failure is logged and counts as done; only the deadline rejects.
    const stopping = (async () => step.stop())().catch((error: unknown) => {
      logger.warn({ err: (error as Error)?.message, step: step.name }, 'a shutdown step failed');
    });
    const finished = await withDeadline(stopping, Math.max(0, deadline - started), () => new Error('late')).then(() => true, () => false);
    const ms = Math.round(performance.now() - started);
    if (!finished) {
      logger.error({ step: step.name, ms }, `shutdown step "${step.name}" did not finish in time; abandoned`);
      return false;
    }
    logger.debug?.({ step: step.name, ms }, 'shutdown step done');
    return true;
  }

  /** Runs every step once; resolves with the names of those abandoned at their deadline. */
  function run(): Promise<string[]> {
    running ??= (async () => {
      const { timeoutMs } = options;
      const share = Math.max(timeoutMs, AFTER_REQUESTS_MIN_MS);
      const end = performance.now() + timeoutMs + share;
      const abandoned: string[] = [];
      for (const step of steps.reverse()) {
        const now = performance.now();
        const deadline = Math.min(end, now + (step.finishesRequests ? timeoutMs + FORCED_CLOSE_MS : share / 2));
        if (!(await runStep(step, deadline))) abandoned.push(step.name);
      }
      return abandoned;
    })();
    return running;
  }

  return {
    add(name: string, stop: () => unknown, stepOptions: StepOptions = {}) {
      steps.push({ name, stop, finishesRequests: stepOptions.finishesRequests ?? false });
    },
    run,
    /**
     * run(), failing when a step was abandoned. `serve` then exits 1 instead of 0: the process is
     * gone either way, but what it left undone (a checkpoint not saved, a transaction whose outcome
     * it never learned) is a stop a supervisor should count as failed, as it does one it had to kill.
     */
    async close(): Promise<void> {
      const abandoned = await run();
      if (abandoned.length > 0) throw new ShutdownAbandonedError(abandoned);
    },
  };
}

export type Shutdown = ReturnType<typeof createShutdown>;
