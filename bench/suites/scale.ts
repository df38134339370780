import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { parseEventQuery } from '../../src/events/query-input.ts';
import { eventQuery } from '../../src/store/event-store.ts';
import { createDatabase, DURATION_S, httpLoad, percentile, startService } from '../lib.ts';
import { seedEvents } from '../seed.ts';
import type { Suite } from './index.ts';

const LARGE = Number(process.env.BENCH_SCALE_EVENTS ?? 10_000_000);
const SMALL = 100_000;

/** GET /events query strings measured at both sizes; each names data the seed guarantees. */
const queries = (total: number) => {
  const start = Date.parse('2026-01-01T00:00:00Z');
  const at = (position: number) => new Date(start + position).toISOString();
  return [
    { name: 'aggregate history (100 events)', qs: `aggregate_id=@agg` },
    { name: 'event_type page (limit 100)', qs: 'event_type=plan.completed&limit=100' },
    { name: 'event_type deep keyset page', qs: `event_type=plan.completed&limit=100&after=${Math.floor(total / 2)}` },
    { name: 'time range (1 s, limit 100)', qs: `from=${at(total / 2)}&to=${at(total / 2 + 1000)}&limit=100` },
    { name: 'correlation id (5 events)', qs: `correlation_id=corr-${Math.floor(total / 10)}` },
  ];
};

async function measure(url: string, total: number) {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const id = (await sql<{ id: string }[]>`select md5('aggregate-' || ${Math.floor(total / 200)})::uuid::text as id`)[0]!.id;
  const out: { name: string; p50: number; p99: number; rows: number; plan: string }[] = [];
  for (const q of queries(total)) {
    const parsed = parseEventQuery(Object.fromEntries([...new URLSearchParams(q.qs.replace('@agg', id))].map(([k, v]) => [k, [v]])));
    const lat: number[] = [];
    let rows = 0;
    for (let i = 0; i < 300; i++) {
      const t = performance.now();
      rows = (await eventQuery(sql, parsed)).length;
      if (i >= 50) lat.push(performance.now() - t); // the first 50 warm the cache
    }
    lat.sort((a, b) => a - b);
    const plan = (await sql`explain (analyze, costs off, timing off, summary off) ${eventQuery(sql, parsed)}`).map((r) => r['QUERY PLAN']).join('\n');
    out.push({ name: q.name, p50: percentile(lat, 50), p99: percentile(lat, 99), rows, plan });
  }
  await sql.end();
  return out;
}

async function appendRate(url: string) {
  const service = await startService({ DATABASE_URL: url });
  const r = await httpLoad(service.url, {
    connections: 64, durationSec: DURATION_S, method: 'POST', path: '/events',
    makeBody: () => JSON.stringify({ event_type: 'agent.created', aggregate_id: randomUUID(), payload: { name: 'x' } }),
  });
  await service.stop();
  return r.rps;
}

const suite: Suite = {
  name: 'scale',
  heavy: true,
  description: `queries and appends at ${LARGE.toLocaleString()} events against ${SMALL.toLocaleString()} (seeds both; minutes)`,
  async run(record) {
    const small = await createDatabase();
    await seedEvents(small, SMALL);
    const large = await createDatabase();
    const started = Date.now();
    await seedEvents(large, LARGE, (line) => console.log(`  seed: ${line}`));
    record({ suite: 'scale', name: `seeding ${LARGE.toLocaleString()} events (load + index builds)`, value: (Date.now() - started) / 1000, unit: 's' });

    const [a, b] = [await measure(small, SMALL), await measure(large, LARGE)];
    for (let i = 0; i < a.length; i++) {
      record({ suite: 'scale', name: `${a[i]!.name} p50 at ${SMALL.toLocaleString()}`, value: a[i]!.p50, unit: 'ms', note: `${a[i]!.rows} rows` });
      record({ suite: 'scale', name: `${b[i]!.name} p50 at ${LARGE.toLocaleString()}`, value: b[i]!.p50, unit: 'ms', baseline: 'same at 100k', ratio: b[i]!.p50 / a[i]!.p50, note: `p99 ${b[i]!.p99.toFixed(2)} ms, ${b[i]!.rows} rows` });
      console.log(`  plan at ${LARGE.toLocaleString()}, ${b[i]!.name}:\n${b[i]!.plan.replace(/^/gm, '    ')}`);
    }
    const [rs, rl] = [await appendRate(small), await appendRate(large)];
    record({ suite: 'scale', name: `POST /events c=64 at ${SMALL.toLocaleString()}`, value: rs, unit: 'events/s' });
    record({ suite: 'scale', name: `POST /events c=64 at ${LARGE.toLocaleString()}`, value: rl, unit: 'events/s', baseline: 'same at 100k', ratio: rl / rs });
  },
};
export default suite;
