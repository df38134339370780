// What bounding pages in bytes (MAX_PAGE_BYTES) costs loadAggregate() on a long aggregate: the
// store's budgeted reads against the statement it ran before (`limit` rows, a short page the end),
// the same fold, alternating; on the aggregates suite's seeded aggregate (default 100,000 events).
//   npx tsx bench/probes/load-bytes.ts [events]
import postgres from 'postgres';
import { loadAggregate } from '../../src/aggregates/load-aggregate.ts';
import { createEventStore, type EventStore } from '../../src/store/event-store.ts';
import { cleanup, createDatabase, median, unbudgetedAggregateQuery } from '../lib.ts';
import { counter, seedAggregate } from '../suites/aggregates.ts';

const n = Number(process.argv[2] ?? 100_000);
const url = await createDatabase();
const sql = postgres(url, { max: 2, onnotice: () => {} });
const id = await seedAggregate(sql, n);
const store = createEventStore(sql);
const plain: EventStore = {
  ...store,
  readAggregate: async (type, aggregateId, afterSequence, limit, afterPosition) => {
    const { text, params } = unbudgetedAggregateQuery(type, aggregateId, afterSequence, limit, afterPosition);
    const rows = await sql.unsafe<{ json: string; position: string }[]>(text, params, { prepare: true });
    return { events: rows.map((r) => r.json), nextAfter: rows.length < limit ? null : Number(rows[rows.length - 1]!.position) };
  },
};
const time = async (f: () => Promise<unknown>) => {
  const t = performance.now();
  await f();
  return performance.now() - t;
};
const a: number[] = [], b: number[] = [];
await loadAggregate(plain, counter, id);
await loadAggregate(store, counter, id);
for (let i = 0; i < 6; i++) {
  a.push(await time(() => loadAggregate(plain, counter, id)));
  b.push(await time(() => loadAggregate(store, counter, id)));
}
console.log(`load of ${n} events: plain p50 ${median(a).toFixed(0)} ms, budgeted ${median(b).toFixed(0)} ms, ratio ${(median(b) / median(a)).toFixed(2)}`);
await sql.end();
await cleanup();
