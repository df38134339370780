export type { ConsumerStats } from './consume-options.ts';
import type { ConsumerStats } from './consume-options.ts';
import type { StoredEvent } from '../events/event.ts';
import type { ResolvedConsumeOptions } from './consume-options.ts';
import { type ConsumerRedis, type GroupKeys, pipelinePerSlot } from './consume-redis.ts';
import { withDeadline } from '../events/deadline.ts';
import { backoffMs } from './retry.ts';
import type { Job, JobOutcome } from './consume-scheduler.ts';

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

/** The entry ids of jobs read from streams, by the stream's type (one slot) and then by key. */
export function entriesByStream(jobs: EventJob[]): Map<StreamState, Map<string, string[]>> {
  const byStream = new Map<StreamState, Map<string, string[]>>();
  for (const job of jobs) {
    if (!job.id) continue;
    const key = job.source === 'replay' ? job.stream.keys.replay : job.stream.keys.stream;
    let byKey = byStream.get(job.stream);
    if (!byKey) byStream.set(job.stream, (byKey = new Map()));
    const ids = byKey.get(key);
    if (ids) ids.push(job.id);
    else byKey.set(key, [job.id]);
  }
  return byStream;
}

// One XACK per stream per turn of the event loop; replay entries are deleted too (only this
// group reads them). A failed XACK leaves the entry pending, to be handled again.
export function createAcks(redis: ConsumerRedis, group: string, onError: (error: unknown) => void) {
  let batch: EventJob[] = [];
  let flushing: Promise<void> | null = null;
  async function flush(): Promise<void> {
    const current = entriesByStream(batch);
    batch = [];
    if (current.size === 0) return;
    const results = await pipelinePerSlot(redis, current, (p, key, ids, s) => {
      p.xack(key, group, ...ids);
      if (key === s.keys.replay) p.xdel(key, ...ids);
    });
    for (const [error] of results) if (error) onError(error);
  }
  // Acks arriving during a flush go right after it; left for a later one, a quiet stream's last entries would be redelivered.
  function schedule() {
    flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(flush).finally(() => {
      flushing = null;
      if (batch.length > 0) schedule();
    });
  }
  return {
    add(job: EventJob) {
      if (!job.id) return;
      batch.push(job);
      schedule();
    },
    async flushed(): Promise<void> {
      await flushing;
      await flush();
    },
  };
}

// Retries with a growing pause; the maxAttempts-th failure is parked and acknowledged, so the aggregate's later events go on.
export function createJobRunner(o: ResolvedConsumeOptions, redis: ConsumerRedis, acks: ReturnType<typeof createAcks>, stats: ConsumerStats, isRunning: () => boolean) {
  const delay = (attempt: number) => backoffMs(o.retryDelay, attempt);

  async function park(job: EventJob, error: string): Promise<void> {
    const source = job.source === 'replay' ? job.stream.keys.replay : job.stream.keys.stream;
    await redis.park(job.stream.keys.parked, source, o.group, job.source === 'store' ? '' : job.id!,
      'event', JSON.stringify(job.event), 'error', error, 'attempts', String(job.attempts), 'consumer', o.consumer, 'source', job.source, 'parked_at', new Date().toISOString());
    if (job.source === 'replay') await redis.xdel(source, job.id!);
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
