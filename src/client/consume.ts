import type { StoredEvent } from '../events/event.ts';
import { createCatchUp } from './consume-catch-up.ts';
import { createAcks, createJobRunner, type EventJob, eventJob, type StreamState } from './consume-jobs.ts';
import { createMaintenance } from './consume-maintenance.ts';
import { type ConsumeOptions, type ConsumerStats, resolveConsumeOptions } from './consume-options.ts';
import { createConsumerConnections, createGroup, entryEvent, groupKeys, isNoGroup, parseGuardedRead, type RawEntry } from './consume-redis.ts';
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
 * A member of a consumer group on the Redis Streams mirror, at least once. One aggregate's events run one at a time in
 * sequence order, up to `concurrency` aggregates at once; across consumers they may run out of order (reclaimed or
 * replayed entries). Handlers must be idempotent: an event comes again after a crash or a lost acknowledgement.
 */
export async function consume(options: ConsumeOptions): Promise<Consumer> {
  const o = resolveConsumeOptions(options);
  const { commands: redis, blocking } = createConsumerConnections(o.redisUrl);
  const streams: StreamState[] = o.aggregateTypes.map((t) => ({ keys: groupKeys(o.channelPrefix, t, o.group), ready: false, pausedUntil: 0 }));
  const stats: ConsumerStats = { handled: 0, failures: 0, parked: 0, fromStore: 0, reclaimed: 0 };
  const bufferLimit = Math.max(o.readCount, o.concurrency * 4);
  const tickMs = Math.min(1_000, Math.max(20, Math.floor(o.claimIdleMs / 3)));
  let running = true;
  const isRunning = () => running;
  const acks = createAcks(redis, o.group, (e) => o.onError(e));
  const scheduler = createScheduler<EventJob>({ concurrency: o.concurrency, run: createJobRunner(o, redis, acks, stats, isRunning) });
  const maintenance = createMaintenance(o, redis, streams, scheduler, stats, bufferLimit);
  const catchUp = createCatchUp(o, redis, scheduler, stats, bufferLimit, isRunning, tickMs);
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
    s.ready = true;
  }

  function dispatch(s: StreamState, source: 'stream' | 'replay', entries: RawEntry[]): number {
    for (const [id, fields] of entries) {
      const json = entryEvent(fields);
      if (json) scheduler.add(eventJob(s, source, JSON.parse(json) as StoredEvent, id));
    }
    return entries.length;
  }

  async function readOnce(): Promise<number> {
    const now = Date.now();
    const active = streams.filter((s) => s.catchUpFrom === undefined && s.pausedUntil <= now);
    for (const s of active) if (!s.ready) await ensureGroup(s);
    const readable = active.filter((s) => s.ready && s.pausedUntil <= now);
    if (readable.length === 0) return 0;
    const count = Math.max(1, Math.min(o.readCount, Math.floor((bufferLimit - scheduler.size()) / readable.length)));
    const pipeline = redis.pipeline() as ReturnType<typeof redis.pipeline> & { readGroup(...args: (string | number)[]): unknown };
    for (const s of readable) {
      pipeline.readGroup(s.keys.stream, o.group, o.consumer, count);
      pipeline.xreadgroup('GROUP', o.group, o.consumer, 'COUNT', count, 'STREAMS', s.keys.replay, '>');
    }
    const results = (await pipeline.exec()) ?? [];
    let got = 0;
    for (const [i, s] of readable.entries()) {
      const [mainError, main] = results[2 * i]!;
      const [replayError, replay] = results[2 * i + 1]!;
      if (mainError) throw mainError;
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
    }
    return got;
  }

  async function waitForEntries() {
    const waiting = streams.filter((s) => s.ready && s.catchUpFrom === undefined && s.last);
    if (waiting.length === 0) return new Promise((r) => setTimeout(r, tickMs));
    const keys = [...waiting.map((s) => s.keys.stream), ...waiting.map((s) => s.keys.replay)];
    const ids = [...waiting.map((s) => s.last!), ...waiting.map(() => '$')];
    await blocking.xread('COUNT', 1, 'BLOCK', BLOCK_MS, 'STREAMS', ...keys, ...ids);
  }

  async function readLoop() {
    let backoff = 100;
    while (running) {
      try {
        await scheduler.whenBelow(bufferLimit);
        if (!running) break;
        if ((await readOnce()) === 0 && running) await waitForEntries();
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
    await Promise.all([redis, blocking].map((r) => connected(r, 10_000, o.redisUrl)));
    for (const s of streams) await ensureGroup(s);
  } catch (error) {
    running = false;
    clearInterval(ticker);
    redis.disconnect();
    blocking.disconnect();
    throw error;
  }
  const loop = readLoop();

  return {
    stats: () => ({ ...stats }),
    async stop() {
      if (!running) return;
      running = false;
      blocking.disconnect();
      clearInterval(ticker);
      await Promise.all([loop, ticking, ...catchingUp]);
      const unfinished = await scheduler.stop();
      await acks.flushed();
      await handOver(o, redis, streams, unfinished).catch((e) => o.onError(e));
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

function connected(redis: { status: string; once(event: 'ready', fn: () => void): unknown; off(event: 'ready', fn: () => void): unknown }, ms: number, url: string): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new Error(`consume(): cannot reach Redis at ${url} within ${ms} ms`));
    }, ms);
    redis.once('ready', onReady);
  });
}
