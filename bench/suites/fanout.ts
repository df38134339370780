import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { createDatabase, redisUrl, startService } from '../lib.ts';
import { pacedHttp, percentile } from '../http-load.ts';
import type { Suite } from './index.ts';

const CLIENTS = Number(process.env.BENCH_FANOUT_CLIENTS ?? 1000);
const RATE = Number(process.env.BENCH_FANOUT_RATE ?? 1000);
const SECONDS = Number(process.env.BENCH_FANOUT_SECONDS ?? 10);
/** Clients whose every message is timed; the others only count theirs (the generator's own CPU is finite). */
const TIMED = 20;
const now = () => performance.timeOrigin + performance.now();

interface Receivers {
  latencies: number[];
  received: () => number;
  close(): void;
}

/** created_at (microseconds, UTC) of an event's JSON to the millisecond clock of this process. */
function committedAt(json: string): number {
  const createdAt = /"created_at":"([^"]+)"/.exec(json)![1]!;
  return Date.parse(createdAt.slice(0, 23) + 'Z') + Number(createdAt.slice(23, 26)) / 1000;
}

/** Counts `needle` in a stream of chunks, across chunk boundaries. */
function counter(needle: string) {
  let carry = '';
  let count = 0;
  return {
    feed(chunk: string) {
      const text = carry + chunk;
      for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + needle.length)) count++;
      carry = text.slice(-(needle.length - 1));
    },
    get count() { return count; },
  };
}

/** CLIENTS raw SSE connections to GET /events/stream (new events only). */
async function sseClients(base: string): Promise<Receivers> {
  const { hostname, port } = new URL(base);
  const latencies: number[] = [];
  const counters: ReturnType<typeof counter>[] = [];
  const sockets: Socket[] = [];
  const opened: Promise<void>[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    const socket = connect(Number(port), hostname);
    sockets.push(socket);
    socket.setEncoding('utf8');
    const count = counter('\nid: ');
    counters.push(count);
    let pending = '';
    opened.push(new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.on('data', (chunk: string) => {
        if (chunk.includes(': connected')) resolve();
        count.feed(chunk);
        if (i >= TIMED) return;
        pending += chunk;
        let end: number;
        while ((end = pending.indexOf('\n\n')) !== -1) {
          const message = pending.slice(0, end);
          pending = pending.slice(end + 2);
          const data = message.indexOf('data: ');
          if (data !== -1) latencies.push(now() - committedAt(message.slice(data + 6)));
        }
      });
    }));
    socket.write(`GET /events/stream HTTP/1.1\r\nHost: ${hostname}\r\nAccept: text/event-stream\r\n\r\n`);
  }
  await Promise.all(opened);
  return { latencies, received: () => counters.reduce((n, c) => n + c.count, 0), close: () => sockets.forEach((s) => s.destroy()) };
}

/** The baseline: as many plain Redis subscribers on the channel the service publishes to. */
async function redisClients(channel: string): Promise<Receivers> {
  const latencies: number[] = [];
  let received = 0;
  const clients = await Promise.all(Array.from({ length: CLIENTS }, async (_, i) => {
    const sub = new Redis(redisUrl, { lazyConnect: true });
    sub.on('message', (_c: string, json: string) => {
      received++;
      if (i < TIMED) latencies.push(now() - committedAt(json));
    });
    await sub.connect();
    await sub.subscribe(channel);
    return sub;
  }));
  return { latencies, received: () => received, close: () => clients.forEach((c) => c.disconnect()) };
}

/** Waits up to 5 s for `expected` more messages than `before`. */
async function arrival(receivers: Receivers, before: number, expected: number) {
  const deadline = Date.now() + 5_000;
  while (receivers.received() - before < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

const suite: Suite = {
  name: 'fanout',
  heavy: true,
  description: `${CLIENTS} SSE clients at ${RATE} appends/s: commit->client delivery against as many Redis subscribers`,
  async run(record) {
    const prefix = `bench-${randomUUID().slice(0, 8)}:`;
    const service = await startService({ DATABASE_URL: await createDatabase(), REDIS_CHANNEL_PREFIX: prefix });
    const append = {
      rate: RATE, method: 'POST' as const, path: '/events',
      makeBody: () => JSON.stringify({ event_type: 'agent.created', aggregate_id: randomUUID() }),
    };
    const measure = async (receivers: Receivers) => {
      const warm = await pacedHttp(service.url, { ...append, durationSec: 1 });
      await arrival(receivers, 0, (warm.sent - warm.failed) * CLIENTS);
      receivers.latencies.length = 0;
      const before = receivers.received();
      const sent = await pacedHttp(service.url, { ...append, durationSec: SECONDS });
      // Whatever is still on its way gets a few seconds to arrive.
      const expected = (sent.sent - sent.failed) * CLIENTS;
      await arrival(receivers, before, expected);
      const delivered = (receivers.received() - before) / expected;
      receivers.close();
      const sorted = receivers.latencies.sort((a, b) => a - b);
      return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), delivered, appendP50: sent.p50 };
    };
    const sse = await measure(await sseClients(service.url));
    const redis = await measure(await redisClients(`${prefix}events:agent`));
    await service.stop();
    const note = (m: typeof sse) => `p99 ${m.p99.toFixed(1)} ms, ${(m.delivered * 100).toFixed(1)}% of messages within 5 s of the last append, append p50 ${m.appendP50.toFixed(1)} ms`;
    record({ suite: 'fanout', name: `Redis subscribers x${CLIENTS}, commit->message p50`, value: redis.p50, unit: 'ms', note: note(redis) });
    record({ suite: 'fanout', name: `SSE clients x${CLIENTS}, commit->message p50`, value: sse.p50, unit: 'ms', baseline: 'Redis p50', ratio: sse.p50 / redis.p50, note: note(sse) });
  },
};
export default suite;
