// What bounding a page in bytes costs a read: the statement of GET /events as the store runs it
// (pagedQuery(): the rows measured by a window sum, cut at MAX_PAGE_BYTES) against the plain
// statement (eventQuery()), prepared, on one connection, in alternating slices; and an aggregate's
// page as loadAggregate() reads it (aggregateQuery()) against the statement it ran before the budget.
//   npx tsx bench/probes/page-bytes.ts
// Rows: p50 in ms over 8 x 250 runs of each after 2,000 warm-up runs, on a fresh database
// holding the latency suite's history (an aggregate of 100 events among 20,000).
import postgres from 'postgres';
import { parseEventQueryString } from '../../src/events/query-input.ts';
import { aggregateQuery, eventQuery, MAX_PAGE_BYTES, pagedQuery, type Statement } from '../../src/store/event-query.ts';
import { cleanup, createDatabase, seedAggregateHistory, startService, unbudgetedAggregateQuery } from '../lib.ts';
import { latencies, percentile } from '../http-load.ts';

const url = await createDatabase();
const service = await startService({ DATABASE_URL: url });
const aggregateId = await seedAggregateHistory(service.url, url);
await service.stop();
const sql = postgres(url, { max: 1, onnotice: () => {} });
const middle = Number((await sql<{ position: string }[]>`select position from events order by position offset 10000 limit 1`)[0]!.position);

const run = (s: Statement) => () => sql.unsafe(s.text, s.params, { prepare: true }).raw();
console.log('| query | plain p50 | paged p50 | ratio |\n|---|---|---|---|');
const getEvents = (qs: string): [Statement, Statement] => {
  const q = parseEventQueryString(qs);
  return [eventQuery(q), pagedQuery(q, { maxBytes: MAX_PAGE_BYTES })];
};
const pairs: [string, [Statement, Statement]][] = [
  ['aggregate history (100 events)', getEvents(`aggregate_id=${aggregateId}`)],
  ['keyset page of 100', getEvents(`after=${middle}&limit=100`)],
  ['keyset page of 1,000', getEvents(`after=${middle}&limit=1000`)],
  ['loadAggregate page (100 events)', [unbudgetedAggregateQuery('task', aggregateId, 0, 1000), aggregateQuery('task', aggregateId, 0, 1000, MAX_PAGE_BYTES)]],
];
for (const [name, statements] of pairs) {
  const [plain, paged] = statements.map(run) as [ReturnType<typeof run>, ReturnType<typeof run>];
  await latencies(2000, plain);
  await latencies(2000, paged);
  const a: number[] = [], b: number[] = [];
  for (let slice = 0; slice < 8; slice++) {
    a.push(...(await latencies(250, plain)));
    b.push(...(await latencies(250, paged)));
  }
  a.sort((x, y) => x - y);
  b.sort((x, y) => x - y);
  console.log(`| ${name} | ${percentile(a, 50).toFixed(3)} | ${percentile(b, 50).toFixed(3)} | ${(percentile(b, 50) / percentile(a, 50)).toFixed(2)} |`);
}
await sql.end();
await cleanup();
