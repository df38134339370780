import { instantInUtc } from '../events/timestamp.ts';
import type { Sql } from '../postgres/database.ts';

export type ReplayState = 'running' | 'completed' | 'failed' | 'cancelled';

export interface ReplayStatus {
  id: string;
  channel: string | null;
  status: ReplayState;
  /** The filter in the API's own names (aggregate_type, …), as POST /replays took it. */
  filter: Record<string, unknown>;
  up_to: number;
  last_position: number;
  published: number;
  error: string | null;
  created_at: string;
  updated_at: string;
}

// A running replay whose instance stopped renewing it for this long is reported as failed.
export const STALE_AFTER_S = 30;

// Filters are stored as EventQuery keys; the API names them as GET /events does.
const WIRE_NAMES: Record<string, string> = {
  aggregateType: 'aggregate_type', aggregateId: 'aggregate_id', eventType: 'event_type', correlationId: 'correlation_id',
};
// Instants are kept with the offset they were given in, and written in UTC like every other instant.
const wireValue = (key: string, value: unknown) => ((key === 'from' || key === 'to') && typeof value === 'string' ? instantInUtc(value) : value);
export const wireFilter = (stored: Record<string, unknown>) => Object.fromEntries(Object.entries(stored).map(([k, v]) => [WIRE_NAMES[k] ?? k, wireValue(k, v)]));

type ReplayRow = Omit<ReplayStatus, 'filter' | 'up_to' | 'last_position' | 'published'> & { filter: string; up_to: string; last_position: string; published: string };

const reported = (sql: Sql) => sql`
  select id, channel, filter::text as filter, up_to, last_position, published, created_at, updated_at,
    case when status = 'running' and updated_at < now() - ${STALE_AFTER_S} * interval '1 second' then 'failed' else status end as status,
    case when status = 'running' and updated_at < now() - ${STALE_AFTER_S} * interval '1 second' then 'the replaying instance stopped renewing it' else error end as error
  from replays`;

const toStatus = (row: ReplayRow): ReplayStatus => ({
  ...row,
  filter: wireFilter(JSON.parse(row.filter) as Record<string, unknown>),
  up_to: Number(row.up_to), last_position: Number(row.last_position), published: Number(row.published),
});

const time = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export async function readReplay(sql: Sql, id: string): Promise<ReplayStatus | undefined> {
  const [row] = await sql<ReplayRow[]>`
    select r.id, r.channel, r.filter, r.up_to, r.last_position, r.published, r.status, r.error,
      ${sql.unsafe(time('r.created_at'))} as created_at, ${sql.unsafe(time('r.updated_at'))} as updated_at
    from (${reported(sql)} where id = ${id}) r`;
  return row ? toStatus(row) : undefined;
}

export async function listReplays(sql: Sql, options: { status?: ReplayState; limit: number }): Promise<ReplayStatus[]> {
  const rows = await sql<ReplayRow[]>`
    select r.id, r.channel, r.filter, r.up_to, r.last_position, r.published, r.status, r.error,
      ${sql.unsafe(time('r.created_at'))} as created_at, ${sql.unsafe(time('r.updated_at'))} as updated_at
    from (${reported(sql)}) r
    ${options.status ? sql`where r.status = ${options.status}` : sql``}
    order by r.created_at desc, r.id desc limit ${options.limit}`;
  return rows.map(toStatus);
}
