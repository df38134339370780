import type { TransactionSql } from 'postgres';
import type { SegmentSize } from '../lifecycle/archive-context.ts';
import type { SegmentRow } from '../lifecycle/segment-row.ts';
import { createdAtFromMicros } from '../lifecycle/segment-row.ts';
import type { Sql } from '../postgres/database.ts';

export interface Partition {
  name: string;
  from: number;
  to: number;
}

/** The archiver's SQL on the hot tier; it changes events only through events_remove() and events_drop_partition(). */
export function createHotTier(sql: Sql) {
  return {
    async partitions(): Promise<Partition[]> {
      const rows = await sql<{ name: string; bound: string }[]>`
        select c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bound
        from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'events'::regclass`;
      return rows
        .map((r) => {
          const [, from, to] = /FROM \('(\d+)'\) TO \('(\d+)'\)/.exec(r.bound) ?? [];
          return { name: r.name, from: Number(from), to: Number(to) };
        })
        .filter((p) => Number.isFinite(p.from) && Number.isFinite(p.to))
        .sort((a, b) => a.from - b.from);
    },
    /** Nothing above it may leave PostgreSQL: every publisher has published up to it. */
    async publishedPosition(): Promise<number> {
      const [row] = await sql<{ p: string }[]>`select events_published_position() as p`;
      return Number(row!.p);
    },
    /**
     * Microseconds since the epoch of now() minus an ISO 8601 duration, by PostgreSQL's calendar.
     * Never before year 1: now() less thousands of years is below PostgreSQL's timestamps (4713 BC).
     */
    async cutoff(duration: string): Promise<bigint> {
      const [row] = await sql<{ us: string }[]>`
        select (extract(epoch from now() - least(${duration}::interval, now() - '0001-01-01 00:00:00+00'::timestamptz)) * 1000000)::int8 as us`;
      return BigInt(row!.us);
    },
    /** The first position created at or after `micros` (or head + 1); created_at never decreases along position. */
    async positionAt(micros: bigint): Promise<number> {
      const [row] = await sql<{ p: string }[]>`
        select coalesce(
          (select position from events where created_at >= 'epoch'::timestamptz + ${String(micros)}::int8 * interval '1 microsecond'
           order by created_at, position limit 1),
          (select last_position + 1 from events_head)) as p`;
      return Number(row!.p);
    },
    async firstPosition(type: string): Promise<number | null> {
      const [row] = await sql<{ p: string | null }[]>`select min(position) as p from events where aggregate_type = ${type}`;
      return row!.p === null ? null : Number(row!.p);
    },
    async count(type: string, from: number, to: number): Promise<number> {
      const [row] = await sql<{ n: string }[]>`
        select count(*) as n from events where aggregate_type = ${type} and position >= ${from} and position < ${to}`;
      return Number(row!.n);
    },
    /**
     * A type's events in [from, to) and their segment count. A segment ends at each of `starts`,
     * each UTC day, every `size.events` events and before the event that would take its events' JSON
     * past `size.bytes`; the last is counted from each day's mean size in bytes, so it is exact for
     * ASCII events of one size (a run counts characters) and an estimate otherwise.
     */
    async segmentEstimate(type: string, from: number, to: number, starts: number[], size: SegmentSize): Promise<{ events: number; segments: number }> {
      const [row] = await sql<{ events: string; segments: string }[]>`
        select coalesce(sum(n), 0) as events,
          coalesce(sum(ceil(n / least(${size.events}, greatest(1, floor(${size.bytes} / (b / n)))))), 0) as segments
        from (
          select count(*) as n, sum(octet_length(event_json(e))) as b
          from events e where aggregate_type = ${type} and position >= ${from} and position < ${to}
          group by width_bucket(position, ${starts.length > 0 ? starts : [1]}::int8[]), (created_at at time zone 'UTC')::date) g`;
      return { events: Number(row!.events), segments: Number(row!.segments) };
    },
    /** Rows removed one by one stay dead tuples that every read of their type steps over until vacuumed. */
    async vacuum(name: string): Promise<void> {
      await sql`vacuum (analyze) ${sql(name)}`;
    },
    async partitionRows(name: string): Promise<number> {
      const [row] = await sql<{ n: string }[]>`select count(*) as n from ${sql(name)}`;
      return Number(row!.n);
    },
    /**
     * Up to `limit` of a type's events in (after, before), in position order, ending with the one
     * whose payload and metadata take the page to `maxBytes`: an empty page is the end.
     */
    async readRows(type: string, after: number, before: number, limit: number, maxBytes: number): Promise<SegmentRow[]> {
      const rows = await sql<(Omit<SegmentRow, 'created_at' | 'sequence' | 'position'> & { sequence: string; position: string; created_us: string })[]>`
        select id, event_type, aggregate_type, aggregate_id, sequence, position, payload, metadata, version, created_us from (
          select r.*, sum(octet_length(r.payload) + octet_length(r.metadata)) over (order by r.position rows between unbounded preceding and 1 preceding) as before
          from (
            select id::text, event_type, aggregate_type, aggregate_id::text, sequence, position, payload::text as payload,
              metadata::text as metadata, version, (extract(epoch from created_at) * 1000000)::int8 as created_us
            from events where aggregate_type = ${type} and position > ${after} and position < ${before}
            order by position limit ${limit}) r) b
        where coalesce(before, 0) < ${maxBytes}
        order by position`;
      return rows.map(({ created_us, ...r }) => ({ ...r, sequence: Number(r.sequence), position: Number(r.position), created_at: createdAtFromMicros(BigInt(created_us)) }));
    },
  };
}

export type HotTier = ReturnType<typeof createHotTier>;

export async function removeEvents(tx: TransactionSql, type: string, from: number, to: number, reason: 'archived' | 'deleted'): Promise<number> {
  const [row] = await tx<{ n: string }[]>`select events_remove(${type}, ${from}, ${to}, ${reason}) as n`;
  return Number(row!.n);
}

/** Detaches and drops a fully accounted partition; it holds ACCESS EXCLUSIVE until commit, so set a lock_timeout and commit at once. */
export async function dropPartition(tx: TransactionSql, name: string, expectedRows: number, reason: 'archived' | 'deleted'): Promise<number> {
  const [row] = await tx<{ n: string }[]>`select events_drop_partition(${name}, ${expectedRows}, ${reason}) as n`;
  return Number(row!.n);
}
