import type { Sql } from '../postgres/database.ts';

export type StatsBucket = 'minute' | 'hour' | 'day';

/** A validated GET /stats: bucket-aligned UTC bounds, from inclusive, to exclusive. */
export interface StatsQuery {
  bucket: StatsBucket;
  from: string;
  to: string;
  aggregateType?: string;
  eventType?: string;
}

export interface StatsRow {
  start: string;
  eventType: string;
  count: number;
}

export interface StatsAnswer {
  rows: StatsRow[];
  /** Every event at or below this position is counted, none above it. */
  upTo: number;
}

/** What one projection step did; `locked: false` means another instance was projecting. */
export interface StatsProjection {
  locked: boolean;
  position: number;
  events: number;
}

// One statement, one transaction: counts and checkpoint commit or are lost together, so every
// event is counted exactly once. SKIP LOCKED lets another instance pass instead of waiting.
// Positions become visible in order, so reading after the checkpoint never skips a later commit.
// Archival and retention may remove an event only once counted (at or below the checkpoint).
const PROJECT = `
  with cp as (
    select position from projection_checkpoints where name = 'stats' for update skip locked
  ), batch as (
    select e.position, e.event_type, e.aggregate_type, e.created_at from events e
    where e.position > (select position from cp)
    order by e.position limit $1
  ), minutes as (
    select date_trunc('minute', b.created_at, 'UTC') as minute, b.event_type, b.aggregate_type, count(*) as n
    from batch b group by 1, 2, 3
  ), rolled as (
    insert into stats_rollups as r (granularity, bucket_start, event_type, aggregate_type, count)
    select g.granularity, date_trunc(g.granularity, m.minute, 'UTC'), m.event_type, m.aggregate_type, sum(m.n)
    from minutes m cross join (values ('minute'), ('hour'), ('day')) as g(granularity)
    group by 1, 2, 3, 4
    on conflict (granularity, bucket_start, event_type) do update set count = r.count + excluded.count
  ), moved as (
    update projection_checkpoints set position = (select max(b.position) from batch b), updated_at = now()
    where name = 'stats' and exists (select 1 from batch)
  )
  select exists (select 1 from cp) as locked,
    coalesce((select max(b.position) from batch b), (select position from cp), 0) as position,
    (select count(*) from batch) as events`;

/** Counts the next `maxEvents` events into the rollups; safe with synchronous_commit off, as counts and checkpoint go together. */
export async function projectStats(sql: Sql, maxEvents: number): Promise<StatsProjection> {
  const [row] = await sql.unsafe<{ locked: boolean; position: string; events: string }[]>(PROJECT, [maxEvents], { prepare: true });
  return { locked: row!.locked, position: Number(row!.position), events: Number(row!.events) };
}

export async function statsPosition(sql: Sql): Promise<number> {
  const [row] = await sql<{ position: string }[]>`select position from projection_checkpoints where name = 'stats'`;
  return Number(row?.position ?? 0);
}

export async function readStats(sql: Sql, q: StatsQuery): Promise<StatsAnswer> {
  const rows = await sql<{ up_to: string; start: string | null; event_type: string | null; count: string | null }[]>`
    select c.position as up_to, r.start, r.event_type, r.count
    from projection_checkpoints c left join lateral (
      select to_char(s.bucket_start at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as start, s.event_type, s.count
      from stats_rollups s
      where s.granularity = ${q.bucket} and s.bucket_start >= ${q.from}::timestamptz and s.bucket_start < ${q.to}::timestamptz
        ${q.aggregateType ? sql`and s.aggregate_type = ${q.aggregateType}` : sql``}
        ${q.eventType ? sql`and s.event_type = ${q.eventType}` : sql``}
    ) r on true
    where c.name = 'stats'
    order by r.start, r.event_type`;
  return {
    rows: rows.filter((r) => r.start !== null).map((r) => ({ start: r.start!, eventType: r.event_type!, count: Number(r.count) })),
    upTo: Number(rows[0]?.up_to ?? 0),
  };
}
