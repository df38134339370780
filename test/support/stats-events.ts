import { randomUUID } from 'node:crypto';
import type postgres from 'postgres';

export interface RawEvent { eventType: string; at: number }

/**
 * Stores events straight into the table, as an archive import or a seed would: the next
 * positions, sequence 1 of a new aggregate each, created_at as given (it must not decrease
 * along position, as the store guarantees: callers pass times in order, none in the future),
 * and moves the head past them.
 */
export async function insertEvents(sql: postgres.Sql, events: RawEvent[]): Promise<number> {
  if (events.length === 0) return 0;
  const rows = await sql<{ position: string }[]>`
    insert into events (position, id, event_type, aggregate_type, aggregate_id, sequence, payload, metadata, version, created_at)
    select coalesce((select max(position) from events), 0) + x.n, x.id::uuid, x.event_type, split_part(x.event_type, '.', 1), x.aggregate_id::uuid, 1, '{}', '{}', 1, x.at
    from unnest(${events.map((_, i) => i + 1)}::int[], ${events.map(() => randomUUID())}::text[], ${events.map((e) => e.eventType)}::text[],
      ${events.map(() => randomUUID())}::text[], ${events.map((e) => new Date(e.at).toISOString())}::timestamptz[]) as x(n, id, event_type, aggregate_id, at)
    returning position`;
  const last = Math.max(...rows.map((r) => Number(r.position)));
  // Appends through the store continue after them.
  await sql`update events_head set last_position = ${last}, last_created_at = greatest(last_created_at, ${new Date(events.at(-1)!.at).toISOString()}::timestamptz)`;
  return last;
}

/** What the rollups must hold: the events counted per UTC bucket and type, straight from the table. */
export async function countedDirectly(sql: postgres.Sql, granularity: 'minute' | 'hour' | 'day', upTo: number) {
  const rows = await sql<{ k: string; n: string }[]>`
    select date_trunc(${granularity}, created_at, 'UTC')::text || ' ' || event_type as k, count(*) as n
    from events where position <= ${upTo} group by 1 order by 1`;
  return Object.fromEntries(rows.map((r) => [r.k, Number(r.n)]));
}

export async function rollups(sql: postgres.Sql, granularity: 'minute' | 'hour' | 'day') {
  const rows = await sql<{ k: string; n: string }[]>`
    select bucket_start::text || ' ' || event_type as k, count as n from stats_rollups where granularity = ${granularity} order by 1`;
  return Object.fromEntries(rows.map((r) => [r.k, Number(r.n)]));
}
