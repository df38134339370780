import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import postgres from 'postgres';

/**
 * Fills an empty, migrated store with `total` events, loaded with COPY. Secondary indexes are
 * dropped for the load and rebuilt after, from their own definitions; event_ids and aggregates
 * are filled after. The data keeps every invariant of the store: positions 1..N,
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
  await sql`select events_add_partitions(${total + 1})`;

  // Rows are made here and streamed with COPY: PostgreSQL parses them while this process makes
  // the next ones, two cores at work (500k rows: 5.2 s against 8.4 s for INSERT … SELECT
  // generate_series building the same rows inside one backend; bench/README.md).
  const started = Date.now();
  const copy = await sql`copy events (position, id, event_type, aggregate_type, aggregate_id, sequence, payload, metadata, version, created_at) from stdin`.writable();
  await pipeline(Readable.from(seedRows(total, aggregates, log)), copy);
  log(`loaded ${total.toLocaleString()} events (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  for (const c of constraints) {
    const started = Date.now();
    await sql.unsafe(`alter table events add constraint ${c.name} ${c.def}`);
    log(`rebuilt ${c.name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
  for (const i of indexes) {
    const started = Date.now();
    await sql.unsafe(i.def.replace(' ON ONLY ', ' ON ')); // a partitioned index: build it on every partition
    log(`rebuilt ${i.name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
  await indexDirectWrites(sql, log);
  await sql`update relay_checkpoints set position = ${total}`;
  await sql`vacuum analyze events`;
  await sql.end();
}

/**
 * After events were written straight into an empty store's events table (bench seeds): their
 * ids into event_ids, their aggregates into aggregates, the head to the last one, and the
 * partitions ahead, as append_events() would have left them.
 */
export async function indexDirectWrites(sql: postgres.Sql, log: (line: string) => void = () => {}): Promise<void> {
  const started = Date.now();
  await sql`alter table event_ids drop constraint event_ids_pkey`;
  await sql`insert into event_ids (id, position) select id, position from events`;
  await sql`alter table event_ids add constraint event_ids_pkey primary key (id)`;
  await sql`
    insert into aggregates (aggregate_id, aggregate_type, last_sequence, first_position, last_position)
    select aggregate_id, aggregate_type, max(sequence), min(position), max(position) from events group by 1, 2`;
  await sql`update events_head set (last_position, last_created_at) = (select max(position), max(created_at) from events)`;
  await sql`select events_prepare_partitions()`;
  log(`filled event_ids and aggregates (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

const TYPES = ['agent', 'task', 'plan', 'run'];
const VERBS = ['created', 'updated', 'completed'];
const EPOCH = Date.parse('2026-01-01T00:00:00Z');

/** The id of the n-th seeded aggregate (md5('aggregate-<n>') as a UUID). */
export function seededAggregateId(n: number): string {
  const h = createHash('md5').update(`aggregate-${n}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** COPY text rows for positions 1..total, in chunks of about 64 kB. */
function* seedRows(total: number, aggregates: number, log: (line: string) => void): Generator<string> {
  const ids = Array.from({ length: aggregates }, (_, n) => seededAggregateId(n));
  let chunk = '';
  for (let g = 1; g <= total; g++) {
    const n = (g - 1) % aggregates;
    const type = TYPES[n % 4]!;
    chunk += `${g}\t${randomUUID()}\t${type}.${VERBS[g % 3]}\t${type}\t${ids[n]}\t${Math.floor((g - 1) / aggregates) + 1}\t`
      + `{"name":"explore-agent","step":${g},"ok":true}\t{"correlation_id":"corr-${Math.floor(g / 5)}","source_service":"seed"}\t1\t`
      + `${new Date(EPOCH + g).toISOString()}\n`;
    if (chunk.length >= 65_536) {
      yield chunk;
      chunk = '';
    }
    if (g % 1_000_000 === 0) log(`made ${g.toLocaleString()} / ${total.toLocaleString()}`);
  }
  if (chunk) yield chunk;
}
