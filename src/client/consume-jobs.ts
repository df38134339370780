export type { ConsumerStats } from './consume-options.ts';
import type { ConsumerStats } from './consume-options.ts';
import type { StoredEvent } from '../events/event.ts';
import type { ResolvedConsumeOptions } from './consume-options.ts';
import type { ConsumerRedis, GroupKeys } from './consume-redis.ts';
import type { Job, JobOutcome } from './consume-scheduler.ts';

export interface StreamState {
  keys: GroupKeys;
  ready: boolean;
  /** Every event of the type up to this position has been handled by the group (sampled). */
  mark?: number;
  /** The group's last delivered id at the last read: the id to wait for entries after. */
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

// One XACK per stream per event-loop turn (replay entries are deleted too); a failed XACK leaves the entry to reclaim.
export function createAcks(redis: ConsumerRedis, group: string, onError: (error: unknown) => void) {
  let batch = new Map<string, { ids: string[]; replay: boolean }>();
  let flushing: Promise<void> | null = null;
  async function flush(): Promise<void> {
    const current = batch;
    batch = new Map();
    if (current.size === 0) return;
    const pipeline = redis.pipeline();
    for (const [key, { ids, replay }] of current) {
      pipeline.xack(key, group, ...ids);
      if (replay) pipeline.xdel(key, ...ids);
    }
    const results = (await pipeline.exec().catch((error: unknown) => [[error]])) ?? [];
    for (const [error] of results) if (error) onError(error);
  }
  return {
    add(job: EventJob) {
      if (!job.id) return;
      const key = job.source === 'replay' ? job.stream.keys.replay : job.stream.keys.stream;
      const entry = batch.get(key) ?? { ids: [], replay: job.source === 'replay' };
      entry.ids.push(job.id);
      batch.set(key, entry);
      flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(flush).finally(() => (flushing = null));
    },
    async flushed(): Promise<void> {
      await flushing;
      await flush();
    },
  };
}

// A failure is retried after a growing pause; the maxAttempts-th is parked and acknowledged, so later events go on.
export function createJobRunner(o: ResolvedConsumeOptions, redis: ConsumerRedis, acks: ReturnType<typeof createAcks>, stats: ConsumerStats, isRunning: () => boolean) {
  const delay = (attempt: number) => Math.min(o.retryDelay.maxMs, o.retryDelay.initialMs * 2 ** (attempt - 1));

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
      let timer: NodeJS.Timeout | undefined;
      try {
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`the handler did not finish within ${o.handlerTimeoutMs} ms`)), o.handlerTimeoutMs);
        });
        await Promise.race([Promise.resolve().then(() => o.handler(job.event, { attempt, signal: controller.signal, source: job.source })), timeout]);
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
      } finally {
        clearTimeout(timer);
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
