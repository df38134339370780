import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { parseEventQueryString } from '../../src/events/query-input.ts';
import { eventQuery } from '../../src/store/event-query.ts';
import { createDatabase, databaseUrl, DURATION_S, startService } from '../lib.ts';
import { httpLoad, percentile } from '../http-load.ts';
import { seededAggregateId, seedEvents } from '../seed.ts';
import type { Suite } from './index.ts';

const LARGE = Number(process.env.BENCH_SCALE_EVENTS ?? 10_000_000);
const SMALL = 100_000;

/** GET /events query strings measured at both sizes; each names data the seed guarantees. */
export const queries = (total: number) => {
  const start = Date.parse('2026-01-01T00:00:00Z');
  const at = (position: number) => new Date(start + position).toISOString();
  return [
    { name: 'aggregate history (100 events)', qs: `aggregate_id=${seededAggregateId(Math.floor(total / 200))}` },
    { name: 'event_type page (limit 100)', qs: 'event_type=plan.completed&limit=100' },
    { name: 'event_type deep keyset page', qs: `event_type=plan.completed&limit=100&after=${Math.floor(total / 2)}` },
    { name: 'time range (1 s, limit 100)', qs: `from=${at(total / 2)}&to=${at(total / 2 + 1000)}&limit=100` },
    { name: 'correlation id (5 events)', qs: `correlation_id=corr-${Math.floor(total / 10)}` },
  ];
};

interface Measured { name: string; p50: number; p99: number; server: number; rows: number; plan: string }

/**
 * Each query at both sizes, alternating in slices of 50 runs (after 50 that warm the cache),
 * so that whatever else the machine does falls on both sizes alike.
 */
async function measureBoth(smallUrl: string, largeUrl: string): Promise<[Measured[], Measured[]]> {
  const sides = await Promise.all([{ url: smallUrl, total: SMALL }, { url: largeUrl, total: LARGE }].map(async ({ url, total }) => {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    const statements = queries(total).map((q) => eventQuery(parseEventQueryString(q.qs)));
    return { sql, statements, out: [] as Measured[] };
  }));
  const names = queries(SMALL).map((q) => q.name);
  for (let q = 0; q < names.length; q++) {
    const lat: number[][] = [[], []];
    const server: number[][] = [[], []];
    const rows = [0, 0];
    for (let slice = 0; slice < 7; slice++) {
      for (let side = 0; side < 2; side++) {
        const { sql, statements } = sides[side]!;
        const { text, params } = statements[q]!;
        for (let i = 0; i < 50; i++) {
          const t = performance.now();
          rows[side] = (await sql.unsafe(text, params, { prepare: true })).length;
          if (slice > 0) lat[side]!.push(performance.now() - t); // the first slice warms the cache
        }
        // The same query timed by PostgreSQL itself: no client, socket or scheduler wake-ups,
        // which at these sub-millisecond times vary more than the data size does.
        for (let i = 0; i < 10; i++) {
          const [row] = await sql.unsafe<{ 'QUERY PLAN': [{ 'Execution Time': number }] }[]>(`explain (analyze, timing off, format json) ${text}`, params);
          if (slice > 0) server[side]!.push(row!['QUERY PLAN'][0]['Execution Time']);
        }
      }
    }
    for (let side = 0; side < 2; side++) {
      const { sql, statements, out } = sides[side]!;
      const l = lat[side]!.sort((a, b) => a - b);
      const exec = server[side]!.sort((a, b) => a - b);
      const { text, params } = statements[q]!;
      const plan = (await sql.unsafe(`explain (analyze, costs off, timing off, summary off) ${text}`, params)).map((r) => r['QUERY PLAN']).join('\n');
      out.push({ name: names[q]!, p50: percentile(l, 50), p99: percentile(l, 99), server: percentile(exec, 50), rows: rows[side]!, plan });
    }
  }
  for (const side of sides) await side.sql.end();
  return [sides[0]!.out, sides[1]!.out];
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
    // BENCH_SCALE_REUSE=<small db>,<large db>: measure databases kept from an earlier run
    // (BENCH_KEEP_DATABASES=1) instead of seeding again.
    const reuse = process.env.BENCH_SCALE_REUSE?.split(',');
    let small: string;
    let large: string;
    if (reuse?.length === 2) {
      [small, large] = reuse.map((name) => databaseUrl(name)) as [string, string];
    } else {
      small = await createDatabase();
      await seedEvents(small, SMALL);
      large = await createDatabase();
      const started = Date.now();
      await seedEvents(large, LARGE, (line) => console.log(`  seed: ${line}`));
      record({ suite: 'scale', name: `seeding ${LARGE.toLocaleString()} events (load + index builds)`, value: (Date.now() - started) / 1000, unit: 's' });
    }

    const [a, b] = await measureBoth(small, large);
    for (let i = 0; i < a.length; i++) {
      record({ suite: 'scale', name: `${a[i]!.name} p50 at ${SMALL.toLocaleString()}`, value: a[i]!.p50, unit: 'ms', note: `${a[i]!.rows} rows` });
      record({ suite: 'scale', name: `${b[i]!.name} p50 at ${LARGE.toLocaleString()}`, value: b[i]!.p50, unit: 'ms', baseline: 'same at 100k', ratio: b[i]!.p50 / a[i]!.p50, note: `p99 ${b[i]!.p99.toFixed(2)} ms, ${b[i]!.rows} rows` });
      record({ suite: 'scale', name: `${a[i]!.name} server execution p50 at ${SMALL.toLocaleString()}`, value: a[i]!.server, unit: 'ms' });
      record({ suite: 'scale', name: `${b[i]!.name} server execution p50 at ${LARGE.toLocaleString()}`, value: b[i]!.server, unit: 'ms', baseline: 'same at 100k', ratio: b[i]!.server / a[i]!.server });
      console.log(`  plan at ${LARGE.toLocaleString()}, ${b[i]!.name}:\n${b[i]!.plan.replace(/^/gm, '    ')}`);
    }
    const [rs, rl] = [await appendRate(small), await appendRate(large)];
    record({ suite: 'scale', name: `POST /events c=64 at ${SMALL.toLocaleString()}`, value: rs, unit: 'events/s' });
    record({ suite: 'scale', name: `POST /events c=64 at ${LARGE.toLocaleString()}`, value: rl, unit: 'events/s', baseline: 'same at 100k', ratio: rl / rs });
  },
};
export default suite;
