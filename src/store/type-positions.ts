import type { Sql } from '../postgres/database.ts';

/** Every aggregate type that has or had events (hot: one index probe per type; archived or deleted: from the removal records). */
export async function aggregateTypes(sql: Sql): Promise<string[]> {
  const rows = await sql<{ aggregate_type: string }[]>`
    with recursive types(t) as (
      (select aggregate_type from events order by aggregate_type limit 1)
      union all
      select (select e.aggregate_type from events e where e.aggregate_type > types.t order by e.aggregate_type limit 1)
      from types where types.t is not null
    )
    select t as aggregate_type from types where t is not null
    union
    select distinct aggregate_type from event_removals
    order by 1`;
  return rows.map((r) => r.aggregate_type);
}

export async function lastPositionOfType(sql: Sql, aggregateType: string, atMost: number): Promise<number> {
  const [row] = await sql<{ position: string }[]>`
    select position from events where aggregate_type = ${aggregateType} and position <= ${atMost}
    order by position desc limit 1`;
  return Number(row?.position ?? 0);
}

/** Where the window of the type's newest `size` events in (after, upTo] starts (null: none), and whether it holds them all. */
export async function typeWindow(sql: Sql, aggregateType: string, after: number, upTo: number, size: number): Promise<{ start: number | null; all: boolean }> {
  const rows = await sql<{ position: string }[]>`
    select position from events where aggregate_type = ${aggregateType} and position > ${after} and position <= ${upTo}
    order by position desc limit 2 offset ${size - 1}`;
  if (rows.length === 2) return { start: Number(rows[0]!.position), all: false };
  if (rows.length === 1) return { start: Number(rows[0]!.position), all: true };
  const [first] = await sql<{ position: string }[]>`
    select position from events where aggregate_type = ${aggregateType} and position > ${after} and position <= ${upTo}
    order by position limit 1`;
  return { start: first ? Number(first.position) : null, all: true };
}

/**
 * The type's events after `after`, at most `cap`: the hot rows and, with `archived`, those the
 * manifest holds (deleted ones are gone from both). One statement, so one snapshot: an event
 * archived meanwhile counts once. Of the segment holding `after` (if any) the positions past it
 * are counted, unless the cap is reached without them.
 */
export async function countAfter(sql: Sql, aggregateType: string, after: number, cap: number, archived: boolean): Promise<number> {
  const [row] = await sql<{ n: string }[]>`
    select least(c.n + case when ${archived} and c.n < ${cap} then
        (select count(*) from archive_segments s join archive_aggregate_segments a on a.segment_id = s.id, unnest(a.positions) p
         where s.aggregate_type = ${aggregateType} and s.from_position <= ${after} and s.to_position > ${after} and p > ${after})
        else 0 end, ${cap}) as n
    from (select
      (select count(*) from (select 1 from events where aggregate_type = ${aggregateType} and position > ${after} limit ${cap}) h)
      + case when ${archived} then (select coalesce(sum(events), 0) from archive_segments where aggregate_type = ${aggregateType} and from_position > ${after}) else 0 end
      as n) c`;
  return Number(row!.n);
}

/** Seconds since each of these positions was appended, by PostgreSQL's clock; positions no longer in PostgreSQL are left out. */
export async function secondsSinceAppended(sql: Sql, positions: number[]): Promise<Map<number, number>> {
  if (positions.length === 0) return new Map();
  const rows = await sql<{ position: string; seconds: number }[]>`
    select position, extract(epoch from now() - created_at)::float8 as seconds from events where position = any(${positions}::int8[])`;
  return new Map(rows.map((r) => [Number(r.position), Math.max(0, r.seconds)]));
}
