import type { Logger } from './observability/logger.ts';

/** Steps stop in reverse order of registration (server first, database last); a failing step is logged and the rest still run. */
export function createShutdown(logger: Pick<Logger, 'warn'>) {
  const steps: { name: string; stop: () => unknown }[] = [];
  let running: Promise<void> | undefined;
  return {
    add(name: string, stop: () => unknown) {
      steps.push({ name, stop });
    },
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
