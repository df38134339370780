import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { defineAggregate, foldEvents, type AggregateEvent } from '../../src/aggregates/aggregate.ts';
import { loadAggregate } from '../../src/aggregates/load-aggregate.ts';
import { createEventStore } from '../../src/store/event-store.ts';
import { createDatabase, median } from '../lib.ts';
import { indexDirectWrites } from '../seed.ts';
import type { Suite } from './index.ts';

interface Counter { count: number; total: number; last: string | null }
export const counter = defineAggregate<Counter>({
  type: 'meter',
  initialState: { count: 0, total: 0, last: null },
  handlers: {
    'meter.read': (s, e) => ({ count: s.count + 1, total: s.total + (e.payload.value as number), last: e.id }),
  },
});

/** One aggregate with `n` events, written inside PostgreSQL (positions and sequences 1..n). */
export async function seedAggregate(sql: postgres.Sql, n: number): Promise<string> {
  const id = randomUUID();
  await sql`select events_add_partitions(${n + 1})`;
  await sql`
    insert into events (position, id, event_type, aggregate_type, aggregate_id, sequence, payload, metadata, version, created_at)
    select g, gen_random_uuid(), 'meter.read', 'meter', ${id}, g, jsonb_build_object('value', g % 100, 'unit', 'kWh'),
      '{}'::jsonb, 1, timestamptz '2026-01-01 00:00:00+00' + g * interval '1 millisecond'
    from generate_series(1, ${n}::bigint) g`;
  await indexDirectWrites(sql);
  await sql`vacuum analyze events`;
  return id;
}

async function time(runs: number, f: () => Promise<unknown>): Promise<number> {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await f();
    out.push(performance.now() - t);
  }
  return median(out);
}

const suite: Suite = {
  name: 'aggregates',
  description: 'loadAggregate of 10k- and 100k-event aggregates, with and without a snapshot; fold throughput',
  async run(record) {
    for (const n of [10_000, 100_000]) {
      const url = await createDatabase();
      const sql = postgres(url, { max: 2, onnotice: () => {} });
      const id = await seedAggregate(sql, n);
      const full = await time(3, () => loadAggregate(sql, counter, id));
      // A snapshot 100 events before the end: the load must cost O(events since it).
      const events = (await sql<{ json: string }[]>`select event_json(e) as json from events e where e.sequence <= ${n - 100} order by e.sequence`).map((r) => JSON.parse(r.json) as AggregateEvent);
      await createEventStore(sql).writeSnapshot({ aggregateType: 'meter', aggregateId: id, schemaVersion: 1, sequence: n - 100, state: foldEvents(counter, counter.initialState(), events) });
      const fromSnapshot = await time(5, () => loadAggregate(sql, counter, id));
      const check = await loadAggregate(sql, counter, id);
      if (!check.fromSnapshot || check.sequence !== n) throw new Error('snapshot not used');
      record({ suite: 'aggregates', name: `load ${n.toLocaleString()}-event aggregate, full replay`, value: full, unit: 'ms', note: `${Math.round(n / (full / 1000)).toLocaleString()} events/s incl. reads` });
      record({ suite: 'aggregates', name: `load ${n.toLocaleString()}-event aggregate, snapshot 100 behind`, value: fromSnapshot, unit: 'ms', baseline: 'full replay', ratio: fromSnapshot / full });
      if (n === 100_000) {
        const foldMs = await time(3, async () => foldEvents(counter, counter.initialState(), events));
        record({ suite: 'aggregates', name: 'fold only (in memory, no reads)', value: events.length / (foldMs / 1000), unit: 'events/s' });
      }
      await sql.end();
    }
  },
};
export default suite;
