import type { Logger } from '../observability/logger.ts';
import type { Sql } from '../postgres/database.ts';
import type { ArchiveRuns } from './runs.ts';

export interface ArchiveSchedulerOptions {
  runs: Pick<ArchiveRuns, 'start'>;
  sql: Sql;
  /** ARCHIVE_INTERVAL in seconds; 0 turns the schedule off. */
  intervalSeconds: number;
  logger: Pick<Logger, 'warn' | 'info'>;
}

const MAX_TICK_MS = 60_000;

/** Every instance checks now and then whether the last scheduled run started an interval ago; the run's lease admits one. */
export function createArchiveScheduler(options: ArchiveSchedulerOptions) {
  const intervalMs = options.intervalSeconds * 1000;
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | undefined;

  async function tick() {
    const [row] = await options.sql<{ due: boolean }[]>`
      select coalesce(max(started_at) <= now() - ${intervalMs} * interval '1 millisecond', true) as due
      from archive_runs where trigger = 'schedule'`;
    if (!row?.due) return;
    try {
      await options.runs.start('schedule', false);
    } catch (error) {
      if ((error as { code?: string }).code !== 'archive_run_in_progress') throw error;
    }
  }

  return {
    start() {
      if (intervalMs === 0) return;
      const every = Math.min(intervalMs, MAX_TICK_MS);
      timer = setInterval(() => {
        ticking ??= tick()
          .catch((error: Error) => options.logger.warn({ err: error.message }, 'archive schedule: could not start a run; trying again later'))
          .finally(() => (ticking = undefined));
      }, every);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await ticking;
    },
  };
}
