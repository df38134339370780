// A store of the unpartitioned version (migrations up to 0004) with 1M events, migrated, then
// read back whole through the store and compared event by event.
//   npx tsx bench/probes/migrate-1m.ts [events]
// test/integration/migration.test.ts does the same at 100k in the suite.
import { createHash } from 'node:crypto';
import postgres from 'postgres';
import { runMigrations } from '../../src/postgres/migrate.ts';
import { createEventStore } from '../../src/store/event-store.ts';
import { seedUnpartitionedStore, UNPARTITIONED_MIGRATIONS } from '../../test/support/legacy-store.ts';
import { migrateFirst } from '../../test/support/migrations.ts';
import { cleanup, createDatabase } from '../lib.ts';

const EVENTS = Number(process.argv[2] ?? 1_000_000);
const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(1);

const url = await createDatabase(false);
const sql = postgres(url, { max: 1, onnotice: () => {}, connection: { statement_timeout: 0 } as never });
try {
  await migrateFirst(url, UNPARTITIONED_MIGRATIONS);
  let t = performance.now();
  await seedUnpartitionedStore(sql, EVENTS);
  await sql`vacuum analyze events`;
  console.log(`seeded ${EVENTS.toLocaleString('en')} events (INSERT … SELECT generate_series): ${seconds(t)} s`);
  await sql`create table legacy_events as select position, id, md5(event_json(e)) as json_md5 from events e`;
  const [before] = await sql`select
      (select md5(string_agg(aggregate_type || aggregate_id || ':' || m, ',' order by aggregate_type, aggregate_id))
         from (select aggregate_type, aggregate_id, max(sequence) as m from events group by 1, 2) a) as aggregates,
      (select md5(string_agg(s::text, ',' order by aggregate_id, schema_version)) from snapshots s) as snapshots`;

  t = performance.now();
  await runMigrations(url);
  console.log(`migrated: ${seconds(t)} s`);

  t = performance.now();
  const legacy = new Map((await sql<{ position: string; json_md5: string }[]>`select position, json_md5 from legacy_events`).map((r) => [Number(r.position), r.json_md5]));
  const store = createEventStore(sql);
  let after = 0;
  let mismatches = 0;
  for (;;) {
    const page = await store.query({ after, limit: 1000, offset: 0, order: 'asc' });
    for (const json of page.events) {
      const position = Number(/"position":(\d+)/.exec(json)![1]);
      if (position !== after + 1 || createHash('md5').update(json).digest('hex') !== legacy.get(position)) mismatches++;
      after = position;
    }
    if (page.nextAfter === null) break;
  }
  const [after_] = await sql`select
      (select md5(string_agg(aggregate_type || aggregate_id || ':' || last_sequence, ',' order by aggregate_type, aggregate_id)) from aggregates) as aggregates,
      (select md5(string_agg(s::text, ',' order by aggregate_id, schema_version)) from snapshots s) as snapshots`;
  const [ids] = await sql`select count(*)::int as n, count(*) filter (where l.position = d.position)::int as same from event_ids d left join legacy_events l on l.id = d.id`;
  console.log(`read back ${after.toLocaleString('en')} events through the store in ${seconds(t)} s: ${mismatches} differ; ` +
    `event_ids ${ids!.same}/${ids!.n} match; aggregates ${before!.aggregates === after_!.aggregates ? 'equal' : 'DIFFER'}; ` +
    `snapshots ${before!.snapshots === after_!.snapshots ? 'equal' : 'DIFFER'}`);
} finally {
  await sql.end();
  await cleanup();
}
