import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { createDatabase, histogramQuantiles, redisUrl, startService, waitForRelay } from '../lib.ts';
import { pacedHttp, percentile } from '../http-load.ts';
import { seedEvents } from '../seed.ts';
import type { Suite } from './index.ts';

const RATE = 1000;
const BACKLOG = Number(process.env.BENCH_RELAY_EVENTS ?? 100_000);
const now = () => (performance.timeOrigin + performance.now()) * 1000; // microseconds

const suite: Suite = {
  name: 'delivery',
  description: `commit->subscriber latency at ${RATE} appends/s; relay catch-up rate against raw pipelined PUBLISH`,
  async run(record) {
    // Latency: from the event's created_at (taken inside the committing transaction) to its
    // arrival at a Redis subscriber in this process. Same machine, same clock. That includes the
    // commit's own WAL flush, so beside it: from the appender's response (which PostgreSQL's
    // commit acknowledgement precedes) to the subscriber, what publishing adds after a commit.
    const url = await createDatabase();
    const prefix = `bench-${randomUUID().slice(0, 8)}:`;
    const service = await startService({ DATABASE_URL: url, REDIS_CHANNEL_PREFIX: prefix });
    const sub = new Redis(redisUrl);
    const latencies: number[] = [];
    const arrived = new Map<string, number>();
    const responded = new Map<string, number>();
    let measuring = false;
    sub.on('pmessage', (_p: string, _c: string, body: string) => {
      if (!measuring) return;
      const at = now();
      const createdAt = /"created_at":"([^"]+)"/.exec(body)![1]!;
      const micros = Date.parse(createdAt.slice(0, 23) + 'Z') * 1000 + Number(createdAt.slice(23, 26));
      latencies.push((at - micros) / 1000);
      arrived.set(/"id":"([^"]+)"/.exec(body)![1]!, at);
    });
    await sub.psubscribe(`${prefix}events:*`);
    const append = {
      rate: RATE, method: 'POST' as const, path: '/events',
      makeBody: () => JSON.stringify({ id: randomUUID(), event_type: 'agent.created', aggregate_id: randomUUID() }),
      onResponse: (body: string | undefined) => {
        if (measuring) responded.set((JSON.parse(body!) as { id: string }).id, now());
      },
    };
    await pacedHttp(service.url, { ...append, durationSec: 2 }); // warm-up
    await waitForRelay(service.url);
    const scrapeBefore = await (await fetch(`${service.url}/metrics`)).text();
    measuring = true;
    await pacedHttp(service.url, { ...append, durationSec: 10 });
    await waitForRelay(service.url);
    measuring = false;
    const scrapeAfter = await (await fetch(`${service.url}/metrics`)).text();
    sub.disconnect();
    await service.stop();
    latencies.sort((a, b) => a - b);
    record({ suite: 'delivery', name: `commit->subscriber at ${RATE}/s p50`, value: percentile(latencies, 50), unit: 'ms', note: `p99 ${percentile(latencies, 99).toFixed(2)} ms, ${latencies.length} messages` });
    // The service's own account (relay_publish_delay_seconds): from each commit's result
    // reaching the relay to Redis acknowledging the publication, per commit, over the same window.
    const delay = histogramQuantiles(scrapeBefore, scrapeAfter, 'relay_publish_delay_seconds', [0.5, 0.99]);
    record({ suite: 'delivery', name: `commit result->published (service's histogram) at ${RATE}/s p50`, value: delay[0]! * 1000, unit: 'ms', note: `p99 ${(delay[1]! * 1000).toFixed(2)} ms, interpolated within buckets, ${delay.count} commits` });
    // Negative where the subscriber had the event before the appender had its response.
    const lag = [...arrived].filter(([id]) => responded.has(id)).map(([id, at]) => (at - responded.get(id)!) / 1000).sort((a, b) => a - b);
    record({ suite: 'delivery', name: `appender's response->subscriber at ${RATE}/s p50`, value: percentile(lag, 50), unit: 'ms', note: `p90 ${percentile(lag, 90).toFixed(2)} ms, p99 ${percentile(lag, 99).toFixed(2)} ms` });

    // Relay rate: a backlog of stored events, published from the checkpoint by a fresh service.
    const backlog = await createDatabase();
    await seedEvents(backlog, BACKLOG);
    const sql = postgres(backlog, { max: 1, onnotice: () => {} });
    await sql`update relay_checkpoints set position = 0`;
    const [{ size }] = (await sql<{ size: number }[]>`select avg(length(event_json(e)))::int as size from events e`) as unknown as [{ size: number }];
    await sql.end();
    const relaying = await startService({ DATABASE_URL: backlog, REDIS_CHANNEL_PREFIX: prefix, RELAY_BATCH_SIZE: '1000' });
    // Measured from the moment the service answers; what it published before counts out.
    const started = performance.now();
    const before = ((await (await fetch(`${relaying.url}/health`)).json()) as { published_position: number }).published_position;
    await waitForRelay(relaying.url, 300_000);
    const relayRate = (BACKLOG - before) / ((performance.now() - started) / 1000);
    await relaying.stop();

    // Baseline: the same number of messages of the same size, PUBLISHed in pipelines of 1000.
    const raw = new Redis(redisUrl);
    const message = 'x'.repeat(size);
    const t0 = performance.now();
    for (let i = 0; i < BACKLOG; i += 1000) {
      const p = raw.pipeline();
      for (let j = 0; j < 1000; j++) p.publish(`${prefix}events:raw`, message);
      await p.exec();
    }
    const rawRate = BACKLOG / ((performance.now() - t0) / 1000);
    raw.disconnect();
    record({ suite: 'delivery', name: 'raw pipelined PUBLISH', value: rawRate, unit: 'msgs/s', note: `${size}-byte messages` });
    record({ suite: 'delivery', name: `relay catch-up of a ${BACKLOG.toLocaleString()}-event backlog`, value: relayRate, unit: 'events/s', baseline: 'raw PUBLISH', ratio: relayRate / rawRate });
  },
};
export default suite;
