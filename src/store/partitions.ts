import type { Logger } from '../observability/logger.ts';
import type { Sql } from '../postgres/database.ts';

export interface PartitionMaintenanceOptions {
  /** A client of its own: the work holds a lock on events' catalog entry for a moment. */
  sql: Sql;
  logger: Pick<Logger, 'warn'>;
  intervalMs: number;
  partitionSize?: number;
}

export interface PartitionMaintenance {
  start(): void;
  notifyHead(position: number): void;
  runOnce(): Promise<void>;
  stop(): Promise<void>;
}

// A round waits this long at most for its lock on events, then gives up until the next round:
// appends never wait for it (they make a missing partition themselves, docs/storage.md).
const LOCK_TIMEOUT = '2s';

/** Creates events' partitions at least a partition ahead of the head: every interval and as soon as the head nears the last one. */
export function createPartitionMaintenance(options: PartitionMaintenanceOptions): PartitionMaintenance {
  const { sql, logger } = options;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let dueAt = 0;
  let stopped = false;
  // The size is set once, by the first round that succeeds: instances started with different sizes
  // (a rolling change) would otherwise undo each other's every round, dropping and making partitions.
  let sizeSet = false;
  let warnedOf: number | undefined;

  async function round() {
    await sql.begin(async (tx) => {
      await tx.unsafe(`set local lock_timeout = '${LOCK_TIMEOUT}'`);
      const [row] = await tx<{ partition_size: string }[]>`select partition_size from events_partitioning`;
      const stored = Number(row!.partition_size);
      const configured = options.partitionSize;
      if (configured !== undefined && stored !== configured) {
        if (!sizeSet) await tx`select events_set_partition_size(${configured})`;
        else if (warnedOf !== stored) {
          warnedOf = stored;
          logger.warn({ stored, configured }, 'another instance set EVENTS_PARTITION_SIZE since this one started; the size set last stays until an instance starts with another');
        }
      }
      await tx`select events_prepare_partitions()`;
      const [next] = await tx<{ due: string }[]>`select partitioned_until - partition_size as due from events_partitioning`;
      dueAt = Number(next!.due);
    });
    sizeSet = true;
  }

  function runOnce(): Promise<void> {
    running ??= round()
      .catch((error: Error) => logger.warn({ err: error.message }, 'partition maintenance failed; retrying at the next round'))
      .finally(() => (running = undefined));
    return running;
  }

  return {
    start() {
      void runOnce();
      timer = setInterval(() => void runOnce(), options.intervalMs);
      timer.unref();
    },
    notifyHead(position) {
      if (!stopped && dueAt > 0 && position >= dueAt) {
        dueAt = 0;
        void runOnce();
      }
    },
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
