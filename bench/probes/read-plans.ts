// What plan caching does to a read: the statements of GET /events as eventQuery() builds them
// against the same SQL with LIMIT and OFFSET as parameters (the form before 2026-12-01), on one
// connection, in alternating slices.
//   npx tsx bench/probes/read-plans.ts             # a fresh 20,000-event database
//   npx tsx bench/probes/read-plans.ts <database>  # the scale suite's queries on a database it
//                                                  # kept (BENCH_KEEP_DATABASES=1 npm run bench scale)
// Rows: p50 in ms over 6 x 300 runs after a warm-up slice, and PostgreSQL's count of generic
// and custom plans for each prepared statement (pg_prepared_statements); on a kept database
// also what the limit in the text would cost an event_type query for a type with no events.
import postgres from 'postgres';
import { parseEventQueryString } from '../../src/events/query-input.ts';
import { eventQuery } from '../../src/store/event-query.ts';
import { queries } from '../suites/scale.ts';
import { cleanup, createDatabase, databaseUrl, seedAggregateHistory, startService } from '../lib.ts';
import { latencies, percentile } from '../http-load.ts';

const kept = process.argv[2];
let url: string;
let shapes: [string, string][];
if (kept) {
  url = databaseUrl(kept);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const total = (await sql<{ total: number }[]>`select count(*)::int as total from events`)[0]!.total;
  await sql.end();
  shapes = queries(total).map((q) => [q.name, q.qs]);
} else {
  url = await createDatabase();
  const service = await startService({ DATABASE_URL: url });
  const aggregateId = await seedAggregateHistory(service.url, url);
  await service.stop();
  shapes = [['aggregate history', `aggregate_id=${aggregateId}`], ['keyset page', 'after=10000&limit=100']];
}
const sql = postgres(url, { max: 1, onnotice: () => {} });
try {
  for (const [name, qs] of shapes) {
    const q = parseEventQueryString(qs);
    const now = eventQuery(q);
    // The same statement with the page size and offset as parameters.
    const n = now.params.length;
    const before = { text: now.text.replace(/limit (\d+|\$\d+ offset \$\d+)$/, `limit $${n + 1} offset $${n + 2}`), params: [...now.params, q.limit + 1, q.offset] };
    // A statement built with parameters already is measured as it is.
    const forms = /offset \$\d+$/.test(now.text) ? { 'as built (parameters)': now } : { 'limit in the text': now, 'limit and offset as parameters': before };
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
  if (kept) {
    // Why an event_type filter keeps its limit a parameter: with the limit in the text,
    // PostgreSQL keeps the plan it made for a common type and runs it for a type with no events.
    const text = 'select event_json(e) as json, e.position from events e where e.event_type = $1 order by e.position asc limit 101';
    for (let i = 0; i < 6; i++) await sql.unsafe(text, ['plan.completed'], { prepare: true });
    const t = performance.now();
    await sql.unsafe(text, ['no.such-type'], { prepare: true });
    console.log(`event_type with the limit in the text, a type with no events after six common ones: ${(performance.now() - t).toFixed(1)} ms`);
  }
} finally {
  await sql.end();
  if (!kept) await cleanup();
}
