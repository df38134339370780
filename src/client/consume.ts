import type { StoredEvent } from '../events/event.ts';
import type { RedisConnection } from '../events/redis-connection.ts';
import { createCatchUp } from './consume-catch-up.ts';
import { createAcks, createJobRunner, type EventJob, resumedJob, type StreamState } from './consume-jobs.ts';
import { createMaintenance } from './consume-maintenance.ts';
import { type ConsumeOptions, type ConsumerStats, resolveConsumeOptions } from './consume-options.ts';
import { connected, createConsumerConnections, createGroup, entryEvent, entryTries, groupKeys, isNoGroup, parseGuardedRead, type RawEntry } from './consume-redis.ts';
import { createScheduler } from './consume-scheduler.ts';
import { createStartPosition } from './consume-start.ts';
import { handOver } from './consume-stop.ts';

export interface Consumer {
  /** Stops reading, lets the handlers running finish and acknowledges them, hands the rest back to the group, leaves. */
  stop(): Promise<void>;
  stats(): ConsumerStats;
}

const BLOCK_MS = 1_000;

/**
 * A member of a consumer group on the Streams mirror: at least once; one aggregate's events in
 * sequence order within this consumer, up to `concurrency` aggregates in parallel. Handlers must
 * be idempotent: an event comes again after a crash, a lost ack, or a group Redis lost.
 */
export async function consume(options: ConsumeOptions): Promise<Consumer> {
  const o = resolveConsumeOptions(options);
  const { commands: redis, blocking } = createConsumerConnections(o.redis, o.aggregateTypes.length);
  const streams: StreamState[] = o.aggregateTypes.map((t) => ({ keys: groupKeys(o.channelPrefix, t, o.group), ready: false, pausedUntil: 0 }));
  const stats: ConsumerStats = { handled: 0, failures: 0, parked: 0, fromStore: 0, reclaimed: 0 };
  // Events read ahead; those behind a failing aggregate's retry count apart, up to ten times as many (a bound on memory).
  const bufferJobs = Math.max(o.readCount, o.concurrency * 4);
  const tickMs = Math.min(1_000, Math.max(20, Math.floor(o.claimIdleMs / 3)));
  let running = true;
  const isRunning = () => running;
  // Aborted by stop(): a catch-up's read of the store in progress ends at once.
  const stopping = new AbortController();
  const acks = createAcks(o, redis, isRunning);
  const scheduler = createScheduler<EventJob>({ concurrency: o.concurrency, buffer: { jobs: bufferJobs, held: bufferJobs * 10 }, run: createJobRunner(o, redis, acks, stats, isRunning), beforeStart: acks.beforeStart });
  const maintenance = createMaintenance(o, redis, streams, scheduler, stats);
  const catchUp = createCatchUp(o, redis, scheduler, stats, isRunning, tickMs, stopping.signal);
  const catchingUp = new Set<Promise<void>>();
  const startPosition = createStartPosition(o, redis);

  async function ensureGroup(s: StreamState) {
    const at = s.mark ?? (await startPosition(s));
    if (at === undefined) {
      s.pausedUntil = Date.now() + tickMs;
      return;
    }
    await createGroup(redis, s.keys.stream, o.group, `${at}-0`);
    await createGroup(redis, s.keys.replay, o.group, '0');
    // Counted among the group's consumers from now on; Redis 7.0 registers one only on a delivery.
    await redis.xgroup('CREATECONSUMER', s.keys.stream, o.group, o.consumer);
    s.ready = true;
  }

  function dispatch(s: StreamState, source: 'stream' | 'replay', entries: RawEntry[]): number {
    for (const [id, fields] of entries) {
      const json = entryEvent(fields);
      if (json) scheduler.add(resumedJob(o, s, source, JSON.parse(json) as StoredEvent, id, entryTries(fields)));
    }
    return entries.length;
  }

  // A type's stream (guarded, see READ_GROUP) and replay stream in one pipeline: one slot.
  async function readOnce(s: StreamState): Promise<number> {
    if (s.catchUpFrom !== undefined || s.pausedUntil > Date.now()) return 0;
    if (!s.ready) await ensureGroup(s);
    if (!s.ready || s.pausedUntil > Date.now()) return 0;
    const count = Math.max(1, Math.min(o.readCount, Math.floor(scheduler.room() / streams.length)));
    const pipeline = redis.pipeline() as ReturnType<typeof redis.pipeline> & { readGroup(...args: (string | number)[]): unknown };
    pipeline.readGroup(s.keys.stream, o.group, o.consumer, count, s.last ?? '');
    pipeline.xreadgroup('GROUP', o.group, o.consumer, 'COUNT', count, 'STREAMS', s.keys.replay, '>');
    const [[mainError, main], [replayError, replay]] = ((await pipeline.exec()) ?? []) as [[Error | null, unknown], [Error | null, unknown]];
    if (mainError) throw mainError;
    let got = 0;
    if (replayError && isNoGroup(replayError)) s.ready = false;
    else if (replayError) throw replayError;
    else got += dispatch(s, 'replay', ((replay as [string, RawEntry[]][] | null)?.[0]?.[1]) ?? []);
    const read = parseGuardedRead(main as unknown[]);
    if (read.kind === 'nogroup') s.ready = false;
    else if (read.kind === 'behind') {
      const task = catchUp(s, read.last, read.first).finally(() => catchingUp.delete(task));
      catchingUp.add(task);
    } else {
      s.last = read.entries.at(-1)?.[0] ?? read.last;
      got += dispatch(s, 'stream', read.entries);
    }
    return got;
  }

  // Waits until the type's stream has an entry after what its group had delivered, or its replay stream a new one.
  async function waitForEntries(s: StreamState, connection: RedisConnection) {
    if (!s.ready || s.catchUpFrom !== undefined || !s.last || s.pausedUntil > Date.now()) return new Promise((r) => setTimeout(r, tickMs));
    await connection.xread('COUNT', 1, 'BLOCK', BLOCK_MS, 'STREAMS', s.keys.stream, s.keys.replay, s.last, '$');
  }

  // One loop per type, so an idle, catching-up or failing-over type holds back no other.
  async function readLoop(s: StreamState, connection: RedisConnection) {
    let backoff = 100;
    while (running) {
      try {
        await scheduler.whenRoom();
        if (!running) break;
        if ((await readOnce(s)) === 0 && running) await waitForEntries(s, connection);
        backoff = 100;
      } catch (error) {
        if (!running) break;
        o.onError(error);
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 2_000);
      }
    }
  }

  let ticking: Promise<void> | null = null;
  const ticker = setInterval(() => {
    ticking ??= maintenance.tick().catch((e) => o.onError(e)).finally(() => (ticking = null));
  }, tickMs);

  try {
    await Promise.all([redis, ...blocking].map((r) => connected(r, 10_000, o.redis)));
    for (const s of streams) await ensureGroup(s);
  } catch (error) {
    running = false;
    clearInterval(ticker);
    for (const r of [redis, ...blocking]) r.disconnect();
    throw error;
  }
  const loops = streams.map((s, i) => readLoop(s, blocking[i]!));

  return {
    stats: () => ({ ...stats }),
    async stop() {
      if (!running) return;
      running = false;
      stopping.abort();
      for (const r of blocking) r.disconnect();
      clearInterval(ticker);
      // First: the read loops and catch-ups may wait for room in a full buffer, and a catch-up for its jobs; once the
      // scheduler stops, starting nothing more, both waits end.
      const stopped = scheduler.stop();
      await Promise.all([...loops, ticking, ...catchingUp]);
      const unfinished = await stopped;
      await acks.flushed();
      await handOver(o, redis, streams, unfinished).catch((e) => o.onError(e));
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
