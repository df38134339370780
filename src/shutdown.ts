import type { Logger } from './observability/logger.ts';

/**
 * The order in which the service stops: each part registers how to stop as it is built, and
 * they stop in reverse (the server first, the database last). A failing step is logged and the
 * rest still run.
 */
export function createShutdown(logger: Pick<Logger, 'warn'>) {
  const steps: { name: string; stop: () => unknown }[] = [];
  let running: Promise<void> | undefined;
  return {
    add(name: string, stop: () => unknown) {
      steps.push({ name, stop });
    },
    /** Runs every step once, last registered first; later calls wait for the same run. */
    run(): Promise<void> {
      running ??= (async () => {
        for (const step of steps.reverse()) {
          try {
            await step.stop();
          } catch (error) {
            logger.warn({ err: (error as Error).message, step: step.name }, 'a shutdown step failed');
          }
        }
      })();
      return running;
    },
  };
}

export type Shutdown = ReturnType<typeof createShutdown>;
