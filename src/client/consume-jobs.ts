export type { ConsumerStats } from './consume-options.ts';
import type { ConsumerStats } from './consume-options.ts';
import type { StoredEvent } from '../events/event.ts';
import type { ResolvedConsumeOptions } from './consume-options.ts';
import { claimKept, type ConsumerRedis, type GroupKeys } from './consume-redis.ts';
import { withDeadline } from '../events/deadline.ts';
import { backoffMs } from './retry.ts';
import type { Job, JobOutcome } from './consume-scheduler.ts';
import { groupBy } from '../events/group-by.ts';

/** What consume() knows of one aggregate type's stream and its group. */
export interface StreamState {
  keys: GroupKeys;
  ready: boolean;
  /** Every event of the type up to this position has been handled by the group (sampled). */
  mark?: number;
  /** The group's last delivered id at this consumer's last read: the id to wait for entries after; entries pending for this consumer above it are ones it never received. */
  last?: string;
  /** This consumer is reading the store for entries the window lost (from this position). */
  catchUpFrom?: number;
  /** Not read again before this time (another consumer catches up, or the group waits to be created). */
  pausedUntil: number;
}

export interface EventJob extends Job {
  event: StoredEvent;
  stream: StreamState;
  source: 'stream' | 'replay' | 'store';
  /** The entry id, for events read from a stream. */
  id?: string;
  /** Failed tries so far, deliveries to consumers that died included. */
  attempts: number;
  /** The handler gave up: only the parking is left to do. */
  parkFor?: string;
}

export function eventJob(stream: StreamState, source: EventJob['source'], event: StoredEvent, id?: string, attempts = 0): EventJob {
  const type = stream.keys.aggregateType;
  return { aggregate: `${type}:${event.aggregate_id}`, position: event.position, key: id ? `${source}:${type}:${id}` : undefined, event, stream, source, id, attempts };
}

/**
 * A job for an entry whose handler may have started before, `attempts` times, in a consumer that died or stopped: it
 * runs alone, so a death now is charged to it only, not to handlers beside it, and one out of tries is parked.
 */
export function resumedJob(o: Pick<ResolvedConsumeOptions, 'maxAttempts'>, stream: StreamState, source: EventJob['source'], event: StoredEvent, id: string | undefined, attempts: number): EventJob {
  const job = eventJob(stream, source, event, id, attempts);
  job.alone = attempts > 0;
  if (attempts >= o.maxAttempts) job.parkFor = `its handler started ${attempts} times without finishing (its consumers died or stalled)`;
  return job;
}

/** The stream a job's entry is in: its type's, or its group's replay stream. */
export const entryKey = (job: EventJob) => (job.source === 'replay' ? job.stream.keys.replay : job.stream.keys.stream);

/** The entry ids of jobs read from streams, by the stream's type (one slot) and then by key. */
export function entriesByStream(jobs: EventJob[]): Map<StreamState, Map<string, string[]>> {
  const byStream = new Map<StreamState, Map<string, string[]>>();
  for (const job of jobs) {
    if (!job.id) continue;
    const key = entryKey(job);
    let byKey = byStream.get(job.stream);
    if (!byKey) byStream.set(job.stream, (byKey = new Map()));
    const ids = byKey.get(key);
    if (ids) ids.push(job.id);
    else byKey.set(key, [job.id]);
  }
  return byStream;
}

// Acknowledgements, one pipeline per type per turn of the event loop, and the starts of handlers. Before handlers start
// (the scheduler's beforeStart), each one's entry gets its delivery count set to the handler's starts + 1 (a read is 1;
// CLAIM_KEPT, which leaves an entry the stream no longer holds pending), and an event read from the store, which has
// no entry, its starts in the catch-up's hash (GroupKeys.tries):
// a consumer that dies in a handler leaves that try counted for whoever reclaims the entry (maintenance parks it at
// maxAttempts), while the entries it read ahead and never started keep 1. The acknowledgements waiting go in the same
// pipeline, first: a handler that kills the process must not take along those of the events handled before it (they
// would come again, their tries counted). Written to the connection at once, not awaited (a round trip before every
// handler would cost more than the handler at concurrency 1): the kernel delivers what was written even when the
// process dies after. Lost only with the connection, when a poison event gets one try more. Replay entries are deleted
// once acknowledged (only this group reads them); a failed XACK leaves the entry pending, to be handled again.
export function createAcks(o: ResolvedConsumeOptions, redis: ConsumerRedis, isRunning: () => boolean) {
  let batch: EventJob[] = [];
  let scheduled = false;
  const sending = new Set<Promise<void>>();

  // ioredis writes a pipeline to the connection synchronously; the replies come later.
  function send(starting: EventJob[] = []): void {
    const acked = entriesByStream(batch);
    const handledFromStore = groupBy(batch.filter((job) => !job.id), (job) => job.stream);
    batch = [];
    const started = groupBy(isRunning() ? starting.filter((job) => job.parkFor === undefined) : [], (job) => job.stream);
    const streams = new Set([...acked.keys(), ...handledFromStore.keys(), ...started.keys()]);
    if (streams.size === 0) return;
    // One pipeline per type: its keys share a slot (a cluster refuses a pipeline across slots).
    const sent = Promise.all([...streams].map((s) => {
      const p = redis.pipeline();
      for (const [key, ids] of acked.get(s) ?? []) {
        p.xack(key, o.group, ...ids);
        if (key === s.keys.replay) p.xdel(key, ...ids);
      }
      const handled = handledFromStore.get(s);
      if (handled) p.hdel(s.keys.tries, ...handled.map((job) => String(job.position)));
      const starts = started.get(s) ?? [];
      for (const [key, jobs] of groupBy(starts.filter((job) => job.id), entryKey)) claimKept(p, key, o.group, o.consumer, jobs.map((j) => j.id!), { retryCount: (i) => jobs[i]!.attempts + 2 });
      const fromStore = starts.filter((job) => !job.id);
      if (fromStore.length > 0) p.hset(s.keys.tries, ...fromStore.flatMap((j) => [String(j.position), String(j.attempts + 1)]));
      return p.exec().then((r) => r ?? [], (error: Error) => [[error, null] as [Error, null]]);
    })).then((results) => {
      for (const [error] of results.flat()) if (error) o.onError(error);
    });
    sending.add(sent);
    void sent.finally(() => sending.delete(sent));
  }

  return {
    add(job: EventJob) {
      batch.push(job);
      if (scheduled) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        send();
      });
    },
    /** The scheduler's beforeStart. */
    beforeStart: (jobs: EventJob[]) => send(jobs),
    async flushed(): Promise<void> {
      send();
      await Promise.all(sending);
    },
  };
}

// Retries with a growing pause; the maxAttempts-th failure is parked and acknowledged, so the aggregate's later events go on.
export function createJobRunner(o: ResolvedConsumeOptions, redis: ConsumerRedis, acks: ReturnType<typeof createAcks>, stats: ConsumerStats, isRunning: () => boolean) {
  const delay = (attempt: number) => backoffMs(o.retryDelay, attempt);

  async function park(job: EventJob, error: string): Promise<void> {
    const source = entryKey(job);
    await redis.park(job.stream.keys.parked, source, o.group, job.source === 'store' ? '' : job.id!,
      'event', JSON.stringify(job.event), 'error', error, 'attempts', String(job.attempts), 'consumer', o.consumer, 'source', job.source, 'parked_at', new Date().toISOString());
    if (job.source === 'replay') await redis.xdel(source, job.id!);
    if (job.source === 'store') await redis.hdel(job.stream.keys.tries, String(job.position));
    stats.parked++;
  }

  return async function run(job: EventJob): Promise<JobOutcome> {
    if (job.parkFor === undefined) {
      if (!isRunning()) return { retryAfterMs: 0 };
      const attempt = job.attempts + 1;
      const controller = new AbortController();
      try {
        const handled = Promise.resolve().then(() => o.handler(job.event, { attempt, signal: controller.signal, source: job.source }));
        await withDeadline(handled, o.handlerTimeoutMs, () => new Error(`the handler did not finish within ${o.handlerTimeoutMs} ms`));
        acks.add(job);
        stats.handled++;
        return 'done';
      } catch (error) {
        controller.abort(error);
        job.attempts = attempt;
        stats.failures++;
        o.onError(error, job.event);
        if (attempt < o.maxAttempts) return { retryAfterMs: delay(attempt) };
        job.parkFor = error instanceof Error ? error.message : String(error);
      }
    }
    try {
      await park(job, job.parkFor);
      return 'done';
    } catch (error) {
      o.onError(error, job.event);
      return { retryAfterMs: delay(job.attempts) };
    }
  };
}
