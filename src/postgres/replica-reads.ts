import type { Circuit } from './circuit.ts';
import type { Connections } from './connections.ts';
import type { Sql } from './database.ts';
import { isMisconfigured, isUnavailable, postgresErrorOf } from './errors.ts';

export interface ReplicaReadsOptions {
  replica: Connections;
  primary: Connections;
  circuit: Circuit;
  readHead(): Promise<number>;
  /** How long a read given a position waits for the replica to replay it before it reads the primary. */
  minPositionWaitMs: number;
  onRead?(server: 'replica' | 'primary'): void;
}

/**
 * The replica is down, in recovery conflict, not migrated yet, or refuses the login or database
 * (checked at the start, but a role or pg_hba.conf can change); not a statement timeout, which
 * the primary would repeat.
 */
function replicaCannotServe(error: unknown): boolean {
  const code = postgresErrorOf(error)?.code;
  if (code === '57014') return false;
  return isUnavailable(error) || isMisconfigured(error) || code === '42P01' || code === '42883';
}

// A head read answers a burst of reads only briefly: the replica behind the URL could be replaced by one further behind.
const HEAD_FRESH_MS = 1000;
const HEAD_POLL_MS = 5;

/** Reads on a replica, the primary standing in; `atLeast` works as events_head moves in the same transaction as its events. */
export function createReplicaReads(options: ReplicaReadsOptions): Connections {
  const { replica, primary, circuit } = options;
  const head = createHeadWatch(options.readHead, options.minPositionWaitMs);

  async function read<T>(fn: (sql: Sql) => Promise<T>, minPosition: number | undefined): Promise<T> {
    if (circuit.up && (minPosition === undefined || (await head.reaches(minPosition)))) {
      try {
        const result = await replica.use(fn);
        options.onRead?.('replica');
        return result;
      } catch (error) {
        if (!replicaCannotServe(error)) throw error;
      }
    }
    const result = await primary.use(fn);
    options.onRead?.('primary');
    return result;
  }

  const stats = () => {
    const [r, p] = [replica.stats(), primary.stats()];
    return { inUse: r.inUse + p.inUse, waiting: r.waiting + p.waiting };
  };
  const at = (minPosition: number | undefined): Connections => ({
    size: replica.size,
    use: (fn) => read(fn, minPosition),
    stats,
    atLeast: (position) => at(Math.max(position, minPosition ?? 0)),
    writes: primary,
  });
  return at(undefined);
}

/** The replica's head, read once per instance; a timed-out wait keeps it, so later reads beyond it go to the primary at once. */
function createHeadWatch(readHead: () => Promise<number>, waitMs: number) {
  let head = -1;
  let seenAt = 0;
  let stuckAt: number | undefined;
  let reading: Promise<number | undefined> | undefined;

  const refresh = () =>
    (reading ??= readHead().then(
      (h) => {
        head = h;
        seenAt = performance.now();
        return h;
      },
      () => {
        head = -1;
        return undefined;
      },
    ).finally(() => (reading = undefined)));

  return {
    async reaches(position: number): Promise<boolean> {
      if (head >= position && performance.now() - seenAt < HEAD_FRESH_MS) return true;
      const deadline = performance.now() + waitMs;
      for (;;) {
        const h = await refresh();
        if (h === undefined) return false;
        if (h >= position) return true;
        const left = deadline - performance.now();
        if (h === stuckAt || left <= 0) {
          stuckAt = h;
          return false;
        }
        stuckAt = undefined;
        await new Promise((r) => setTimeout(r, Math.min(HEAD_POLL_MS, left)));
      }
    },
  };
}
