import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { consume } from '../../src/client/consume.ts';
import { httpEventReader } from '../../src/client/http-reader.ts';
import { eventsStreamKey } from '../../src/events/stream-keys.ts';
import { createDatabase, DURATION_S, median, redisUrl, REPEAT, startService, waitForRelay } from '../lib.ts';
import { httpLoad, pacedHttp, percentile } from '../http-load.ts';
import type { Suite } from './index.ts';

const payload = { name: 'explore-agent', agent_type: 'exploration' };
const metadata = { session_id: 'session-123', correlation_id: 'corr-456' };
const RATE = 1000;
const CONSUME_EVENTS = Number(process.env.BENCH_CONSUME_EVENTS ?? 30_000);
const now = () => (performance.timeOrigin + performance.now()) * 1000; // microseconds
const committedAt = (createdAt: string) => Date.parse(createdAt.slice(0, 23) + 'Z') * 1000 + Number(createdAt.slice(23, 26));

async function dropKeys(prefix: string) {
  const redis = new Redis(redisUrl);
  for (const pattern of [`${prefix}*`, `{${prefix}*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  }
  redis.disconnect();
}

/** POST /events at 64 connections for DURATION_S, on a fresh database. */
async function appends(env: Record<string, string>) {
  const prefix = `bench-${randomUUID().slice(0, 8)}:`;
  const service = await startService({ DATABASE_URL: await createDatabase(), REDIS_CHANNEL_PREFIX: prefix, ...env });
  const r = await httpLoad(service.url, {
    connections: 64, durationSec: DURATION_S, method: 'POST', path: '/events',
    makeBody: () => JSON.stringify({ event_type: 'agent.created', aggregate_id: randomUUID(), payload, metadata }),
  });
  await waitForRelay(service.url, 120_000);
  await service.stop();
  await dropKeys(prefix);
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`POST /events: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return r;
}

/** From each event's commit (created_at) to its arrival on pub/sub and in its stream (XREAD BLOCK), at RATE appends/s. */
async function lags() {
  const prefix = `bench-${randomUUID().slice(0, 8)}:`;
  const service = await startService({ DATABASE_URL: await createDatabase(), REDIS_CHANNEL_PREFIX: prefix, REDIS_STREAMS: 'on' });
  const sub = new Redis(redisUrl);
  const reader = new Redis(redisUrl);
  const pubsub: number[] = [];
  const mirror: number[] = [];
  let measuring = false;
  sub.on('pmessage', (_p: string, _c: string, body: string) => {
    if (measuring) pubsub.push((now() - committedAt(/"created_at":"([^"]+)"/.exec(body)![1]!)) / 1000);
  });
  await sub.psubscribe(`${prefix}events:*`);
  let reading = true;
  const key = eventsStreamKey(prefix, 'agent');
  const loop = (async () => {
    let last = '$';
    while (reading) {
      const reply = (await reader.xread('COUNT', 1000, 'BLOCK', 200, 'STREAMS', key, last)) as [string, [string, string[]][]][] | null;
      const at = now();
      for (const [id, fields] of reply?.[0]?.[1] ?? []) {
        last = id;
        if (measuring) mirror.push((at - committedAt(/"created_at":"([^"]+)"/.exec(fields[1]!)![1]!)) / 1000);
      }
    }
  })();
  const append = { rate: RATE, method: 'POST' as const, path: '/events', makeBody: () => JSON.stringify({ event_type: 'agent.created', aggregate_id: randomUUID(), payload, metadata }) };
  await pacedHttp(service.url, { ...append, durationSec: 2 });
  await waitForRelay(service.url);
  measuring = true;
  await pacedHttp(service.url, { ...append, durationSec: 10 });
  await waitForRelay(service.url);
  await sleep(300);
  measuring = false;
  reading = false;
  await loop;
  sub.disconnect();
  reader.disconnect();
  await service.stop();
  await dropKeys(prefix);
  return { pubsub: pubsub.sort((a, b) => a - b), mirror: mirror.sort((a, b) => a - b) };
}

/** consume() from the beginning of a stream holding CONSUME_EVENTS over 3,000 aggregates: events handled per second. */
async function consumeRates(record: Parameters<Suite['run']>[0]) {
  const prefix = `bench-${randomUUID().slice(0, 8)}:`;
  const service = await startService({ DATABASE_URL: await createDatabase(), REDIS_CHANNEL_PREFIX: prefix, REDIS_STREAMS: 'on' });
  const aggregates = Array.from({ length: 3000 }, () => randomUUID());
  for (let i = 0; i < CONSUME_EVENTS; i += 1000) {
    const events = Array.from({ length: Math.min(1000, CONSUME_EVENTS - i) }, () => ({ event_type: 'task.progressed', aggregate_id: aggregates[Math.floor(Math.random() * aggregates.length)], payload, metadata }));
    const res = await fetch(`${service.url}/events/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events }) });
    if (res.status !== 201) throw new Error(`seed: ${res.status}`);
  }
  await waitForRelay(service.url, 120_000);
  const handlers = { 'no-op handler': () => {}, 'handler awaiting 1 ms': () => sleep(1) };
  for (const [kind, handler] of Object.entries(handlers)) {
    let base = 0;
    for (const concurrency of [1, 8, 64]) {
      const consumer = await consume({ redisUrl, channelPrefix: prefix, reader: httpEventReader(service.url), group: `bench-${concurrency}-${kind.length}`, consumer: 'c1', aggregateTypes: ['task'], start: 'beginning', concurrency, handler });
      const started = performance.now();
      while (consumer.stats().handled < CONSUME_EVENTS && performance.now() - started < DURATION_S * 1000) await sleep(20);
      const rate = consumer.stats().handled / ((performance.now() - started) / 1000);
      await consumer.stop();
      base ||= rate;
      record({ suite: 'streams', name: `consume() ${kind}, concurrency ${concurrency}`, value: rate, unit: 'events/s', ...(concurrency > 1 ? { baseline: 'concurrency 1', ratio: rate / base } : {}) });
    }
  }
  await service.stop();
  await dropKeys(prefix);
}

const suite: Suite = {
  name: 'streams',
  description: `Redis Streams mirror: appends at 64 connections on vs off (${DURATION_S} s each, median of ${REPEAT}); commit->stream vs commit->pub/sub at ${RATE}/s; consume() rates`,
  async run(record) {
    const on: number[] = [], off: number[] = [], p99on: number[] = [], p99off: number[] = [];
    const steps = [
      async () => {
        const r = await appends({});
        off.push(r.rps);
        p99off.push(r.p99);
      },
      async () => {
        const r = await appends({ REDIS_STREAMS: 'on' });
        on.push(r.rps);
        p99on.push(r.p99);
      },
    ];
    for (let round = 0; round < REPEAT; round++) for (const step of round % 2 === 0 ? steps : [...steps].reverse()) await step();
    record({ suite: 'streams', name: 'POST /events, c=64, mirror off', value: median(off), unit: 'events/s', note: `p99 ${median(p99off)} ms; rounds ${off.map((x) => x.toFixed(0)).join(', ')}` });
    record({ suite: 'streams', name: 'POST /events, c=64, REDIS_STREAMS=on', value: median(on), unit: 'events/s', baseline: 'mirror off', ratio: median(on) / median(off), note: `p99 ${median(p99on)} ms; rounds ${on.map((x) => x.toFixed(0)).join(', ')}` });

    const lag = await lags();
    const p = (xs: number[], q: number) => percentile(xs, q);
    record({ suite: 'streams', name: `commit->pub/sub subscriber at ${RATE}/s p50`, value: p(lag.pubsub, 50), unit: 'ms', note: `p99 ${p(lag.pubsub, 99).toFixed(2)} ms, ${lag.pubsub.length} messages` });
    record({ suite: 'streams', name: `commit->stream reader (XREAD BLOCK) at ${RATE}/s p50`, value: p(lag.mirror, 50), unit: 'ms', baseline: 'pub/sub p50', ratio: p(lag.mirror, 50) / p(lag.pubsub, 50), note: `p99 ${p(lag.mirror, 99).toFixed(2)} ms (${(p(lag.mirror, 99) / p(lag.pubsub, 99)).toFixed(2)}x pub/sub p99), ${lag.mirror.length} entries` });

    await consumeRates(record);
  },
};
export default suite;
