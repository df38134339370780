import postgres from 'postgres';

/**
 * Fills an empty, migrated store with `total` events, generated inside PostgreSQL
 * (INSERT … SELECT generate_series: faster than COPY from a client, since no row crosses the
 * wire). Secondary indexes and unique constraints are dropped for the load and rebuilt after,
 * from their own definitions. The data keeps every invariant of the store: positions 1..N,
 * per-aggregate sequences 1..n, created_at increasing with position, head and relay
 * checkpoint at N (so a service started on it has nothing to publish).
 *
 * Shape: aggregates = total / 100, each with exactly 100 events spread evenly over the whole
 * table; 4 aggregate types, 3 event types each; a correlation id per 5 consecutive events;
 * 1 ms between events.
 */
export async function seedEvents(url: string, total: number, log: (line: string) => void = () => {}): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connection: { statement_timeout: 0, maintenance_work_mem: '512MB' } as never });
  const aggregates = Math.max(1, Math.floor(total / 100));
  const indexes = await sql<{ name: string; def: string }[]>`
    select indexname as name, indexdef as def from pg_indexes
    where tablename = 'events' and indexname not in (select conname from pg_constraint where conrelid = 'events'::regclass)`;
  const constraints = await sql<{ name: string; def: string }[]>`
    select conname as name, pg_get_constraintdef(oid) as def from pg_constraint
    where conrelid = 'events'::regclass and contype = 'u'`;
  for (const i of indexes) await sql.unsafe(`drop index ${i.name}`);
  for (const c of constraints) await sql.unsafe(`alter table events drop constraint ${c.name}`);

  const chunk = 1_000_000;
  for (let from = 1; from <= total; from += chunk) {
    const to = Math.min(total, from + chunk - 1);
    const started = Date.now();
    await sql`
      insert into events (position, id, event_type, aggregate_type, aggregate_id, sequence, payload, metadata, version, created_at)
      select g,
        gen_random_uuid(),
        (array['agent','task','plan','run'])[(g - 1) % ${aggregates} % 4 + 1] || '.' || (array['created','updated','completed'])[g % 3 + 1],
        (array['agent','task','plan','run'])[(g - 1) % ${aggregates} % 4 + 1],
        md5('aggregate-' || ((g - 1) % ${aggregates}))::uuid,
        (g - 1) / ${aggregates} + 1,
        jsonb_build_object('name', 'explore-agent', 'step', g, 'ok', true),
        jsonb_build_object('correlation_id', 'corr-' || (g / 5), 'source_service', 'seed'),
        1,
        timestamptz '2026-01-01 00:00:00+00' + g * interval '1 millisecond'
      from generate_series(${from}::bigint, ${to}::bigint) g`;
    log(`inserted ${to.toLocaleString()} / ${total.toLocaleString()} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
  for (const c of constraints) {
    const started = Date.now();
    await sql.unsafe(`alter table events add constraint ${c.name} ${c.def}`);
    log(`rebuilt ${c.name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
  for (const i of indexes) {
    const started = Date.now();
    await sql.unsafe(i.def);
    log(`rebuilt ${i.name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
  await sql`update events_head set last_position = ${total}, last_created_at = timestamptz '2026-01-01 00:00:00+00' + ${total} * interval '1 millisecond'`;
  await sql`update relay_checkpoints set position = ${total}`;
  await sql`vacuum analyze events`;
  await sql.end();
}
