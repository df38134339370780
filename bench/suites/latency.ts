import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { createDatabase, DURATION_S, rawEventQuery, seedAggregateHistory, startService } from '../lib.ts';
import { keepAliveClient, latencies, pacedHttp, percentile } from '../http-load.ts';
import { hasPgbench, pgbench, rawAppendScript, rawSetup } from '../pgbench.ts';
import type { Suite } from './index.ts';

const payload = { name: 'explore-agent', agent_type: 'exploration' };
const metadata = { session_id: 'session-123', correlation_id: 'corr-456' };
const RATE = 1000;

const suite: Suite = {
  name: 'latency',
  description: `read latency vs the raw query; append latency at ${RATE}/s vs pgbench at the same rate`,
  async run(record) {
    const url = await createDatabase();
    const service = await startService({ DATABASE_URL: url });
    const sql = postgres(url, { max: 2, onnotice: () => {} });

    const aggregateId = await seedAggregateHistory(service.url, url);
    const middle = Number((await sql<{ position: string }[]>`select position from events order by position offset 10000 limit 1`)[0]!.position);

    const cases = [
      { name: 'aggregate history (100 events)', path: `/events?aggregate_id=${aggregateId}` },
      { name: 'keyset page (after=, limit=100)', path: `/events?after=${middle}&limit=100` },
    ].map((c) => ({ ...c, raw: rawEventQuery(sql, c.path) }));
    // Both sides measured alike: one request at a time on one warm connection (keep-alive for
    // HTTP, a prepared statement for the raw query), timed from send to last byte, in
    // alternating slices so noise from the rest of the machine falls on both. (The paced client
    // is not used here: at these sub-millisecond times its timer's lateness would be counted
    // against HTTP only.) Warm means steady: a fresh service's GET p50 kept falling for its
    // first 3,000-4,000 requests (1.75 -> 0.56 ms over 500-request rounds; the raw query is
    // steady after ~500), so each side first runs WARMUP requests.
    const WARMUP = 4000;
    const client = keepAliveClient(service.url);
    const get = (path: string) => client.request('GET', path);
    for (const c of cases) {
      await latencies(WARMUP, c.raw);
      await latencies(WARMUP, () => get(c.path));
      const raw: number[] = [];
      const http: number[] = [];
      for (let slice = 0; slice < 8; slice++) {
        raw.push(...(await latencies(250, c.raw)));
        http.push(...(await latencies(250, () => get(c.path))));
      }
      raw.sort((a, b) => a - b);
      http.sort((a, b) => a - b);
      record({ suite: 'latency', name: `raw query: ${c.name} p50`, value: percentile(raw, 50), unit: 'ms', note: `p99 ${percentile(raw, 99).toFixed(2)} ms` });
      record({ suite: 'latency', name: `GET ${c.name} p50`, value: percentile(http, 50), unit: 'ms', baseline: 'raw query', ratio: percentile(http, 50) / percentile(raw, 50), note: `p99 ${percentile(http, 99).toFixed(2)} ms` });
    }
    // What HTTP alone costs on this machine: a 404 through the same client, server and middleware.
    await latencies(WARMUP, () => get('/no-such-route'));
    const floor = await latencies(2000, () => get('/no-such-route'));
    record({ suite: 'latency', name: 'HTTP floor (404, no query) p50', value: percentile(floor, 50), unit: 'ms', note: `p99 ${percentile(floor, 99).toFixed(2)} ms` });
    client.close();

    // Appends at a fixed rate: ours over HTTP against pgbench writing the same rows
    // (bench/pgbench.ts) at the same rate, on a database of its own. Both get a warm-up at the
    // same rate first (connections, plan caches), not measured; then alternating 2 s slices, so
    // the disk's commit stalls hit both alike.
    const rawUrl = await createDatabase();
    const rawSql = postgres(rawUrl, { max: 1, onnotice: () => {} });
    await rawSql.unsafe(rawSetup());
    await rawSql.end();
    const append = {
      rate: RATE, method: 'POST' as const, path: '/events',
      makeBody: () => JSON.stringify({ event_type: 'agent.created', aggregate_id: randomUUID(), payload, metadata }),
    };
    const baseline = hasPgbench();
    const rawAtRate = (seconds: number) => pgbench(rawUrl, rawAppendScript(1), { clients: 16, seconds, rate: RATE, log: true });
    if (baseline) await rawAtRate(3);
    await pacedHttp(service.url, { ...append, durationSec: 3 });
    const baseLat: number[] = [];
    const oursLat: number[] = [];
    for (let slice = 0; slice < DURATION_S; slice++) {
      if (baseline) baseLat.push(...(await rawAtRate(2)).latencies);
      const r = await pacedHttp(service.url, { ...append, durationSec: 2 });
      if (r.failed > 0) throw new Error(`${r.failed} appends failed`);
      oursLat.push(...r.latencies);
    }
    baseLat.sort((a, b) => a - b);
    oursLat.sort((a, b) => a - b);
    const ours = { p50: percentile(oursLat, 50), p99: percentile(oursLat, 99) };
    const floorP50 = percentile(floor, 50);
    if (baseline) {
      const base = { p50: percentile(baseLat, 50), p99: percentile(baseLat, 99) };
      record({ suite: 'latency', name: `pgbench, same rows, at ${RATE}/s p50`, value: base.p50, unit: 'ms', note: `p99 ${base.p99.toFixed(2)} ms` });
      record({ suite: 'latency', name: `POST /events at ${RATE}/s p50`, value: ours.p50, unit: 'ms', baseline: '2 x pgbench p50 + HTTP floor', ratio: ours.p50 / (2 * base.p50 + floorP50), note: `${(ours.p50 / base.p50).toFixed(2)}x pgbench p50` });
      record({ suite: 'latency', name: `POST /events at ${RATE}/s p99`, value: ours.p99, unit: 'ms', baseline: 'pgbench p99', ratio: ours.p99 / base.p99, note: `difference ${(ours.p99 - base.p99).toFixed(2)} ms` });
    } else {
      record({ suite: 'latency', name: `POST /events at ${RATE}/s p50`, value: ours.p50, unit: 'ms', note: `p99 ${ours.p99.toFixed(2)} ms; pgbench not installed, no baseline` });
    }
    await sql.end();
    await service.stop();
  },
};
export default suite;
