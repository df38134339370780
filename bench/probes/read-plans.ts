// What plan caching does to a read: the statements of GET /events as eventQuery() builds them
// against the same SQL with LIMIT and OFFSET as parameters (the form before 2026-12-01), on one
// connection, in alternating slices.
//   npx tsx bench/probes/read-plans.ts
// Rows: p50 in ms over 6 x 300 runs after a warm-up slice, and PostgreSQL's count of generic
// and custom plans for each prepared statement (pg_prepared_statements).
import postgres from 'postgres';
import { parseEventQuery } from '../../src/events/query-input.ts';
import { eventQuery } from '../../src/store/event-store.ts';
import { cleanup, createDatabase, latencies, percentile, seedAggregateHistory, startService } from '../lib.ts';

const url = await createDatabase();
const service = await startService({ DATABASE_URL: url });
const aggregateId = await seedAggregateHistory(service.url, url);
await service.stop();
const sql = postgres(url, { max: 1, onnotice: () => {} });
const shapes = { 'aggregate history': { aggregate_id: [aggregateId] }, 'keyset page': { after: ['10000'], limit: ['100'] } };
try {
  for (const [name, qs] of Object.entries(shapes)) {
    const q = parseEventQuery(qs);
    const now = eventQuery(q);
    // The same statement with the page size and offset as parameters.
    const before = { text: now.text.replace(/limit \d+$/, `limit $${now.params.length + 1} offset $${now.params.length + 2}`), params: [...now.params, q.limit + 1, q.offset] };
    const forms = { 'limit in the text': now, 'limit and offset as parameters': before };
    const runs: Record<string, number[]> = {};
    for (let slice = 0; slice < 7; slice++) {
      for (const [form, s] of slice % 2 ? Object.entries(forms) : Object.entries(forms).reverse()) {
        const l = await latencies(300, () => sql.unsafe(s.text, s.params, { prepare: true }));
        if (slice > 0) (runs[form] ??= []).push(...l);
      }
    }
    for (const [form, s] of Object.entries(forms)) {
      const [plans] = await sql<{ generic_plans: string; custom_plans: string }[]>`select generic_plans, custom_plans from pg_prepared_statements where statement = ${s.text}`;
      console.log(`${name}, ${form}: p50 ${percentile(runs[form]!.sort((a, b) => a - b), 50).toFixed(3)} ms, ${plans!.generic_plans} generic / ${plans!.custom_plans} custom plans`);
    }
  }
} finally {
  await sql.end();
  await cleanup();
}
