import type { Sql } from '../postgres/database.ts';
import type { Tx } from './archive-context.ts';
import type { WrittenSegment } from './segment-writer.ts';

export interface SegmentEntry {
  id: number;
  aggregate_type: string;
  from_position: number;
  to_position: number;
  first_created_at: string;
  last_created_at: string;
  events: number;
  bytes: number;
  sha256: string;
  key: string;
  run_id: string;
  created_at: string;
}

const TIME = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as ${column}`;
const ENTRY_COLUMNS = `id, aggregate_type, from_position, to_position, ${TIME('first_created_at')}, ${TIME('last_created_at')},
  events, bytes, sha256, key, run_id, ${TIME('created_at')}`;

type Row = Omit<SegmentEntry, 'id' | 'from_position' | 'to_position' | 'bytes'> & { id: string; from_position: string; to_position: string; bytes: string };
const toEntry = (r: Row): SegmentEntry => ({ ...r, id: Number(r.id), from_position: Number(r.from_position), to_position: Number(r.to_position), bytes: Number(r.bytes) });

// Times go as text: postgres.js would pass a timestamptz parameter through Date, dropping the microseconds.

/** In the transaction that removes the segments' events. */
export async function insertSegments(tx: Tx, runId: string, segments: WrittenSegment[]): Promise<void> {
  for (const s of segments) {
    const [row] = await tx<{ id: string }[]>`
      insert into archive_segments (aggregate_type, from_position, to_position, first_created_at, last_created_at, events, bytes, sha256, key, run_id)
      values (${s.aggregateType}, ${s.fromPosition}, ${s.toPosition}, ${s.firstCreatedAt}::text::timestamptz, ${s.lastCreatedAt}::text::timestamptz, ${s.events}, ${s.bytes}, ${s.sha256}, ${s.key}, ${runId})
      returning id`;
    await tx`
      insert into archive_aggregate_segments (aggregate_id, aggregate_type, segment_id, first_sequence, last_sequence, positions, rows)
      select x.aggregate_id, ${s.aggregateType}, ${row!.id}, x.first_sequence, x.last_sequence, x.positions, x.rows
      from jsonb_to_recordset(${JSON.stringify(s.aggregates)}::text::jsonb)
        as x(aggregate_id uuid, first_sequence bigint, last_sequence bigint, positions bigint[], rows int[])`;
  }
}

export async function listSegments(sql: Sql, options: { aggregateType?: string; after?: number; limit: number }): Promise<{ segments: SegmentEntry[]; nextAfter: number | null }> {
  const rows = await sql.unsafe<Row[]>(
    `select ${ENTRY_COLUMNS} from archive_segments where id > $1 ${options.aggregateType ? 'and aggregate_type = $3' : ''} order by id limit $2`,
    options.aggregateType ? [options.after ?? 0, options.limit + 1, options.aggregateType] : [options.after ?? 0, options.limit + 1],
  );
  const segments = rows.slice(0, options.limit).map(toEntry);
  return { segments, nextAfter: rows.length > options.limit ? segments[segments.length - 1]!.id : null };
}

export async function segmentsCreatedBefore(sql: Sql, type: string, micros: bigint): Promise<SegmentEntry[]> {
  const rows = await sql.unsafe<Row[]>(
    `select ${ENTRY_COLUMNS} from archive_segments
     where aggregate_type = $1 and last_created_at < 'epoch'::timestamptz + $2::int8 * interval '1 microsecond' order by from_position`,
    [type, String(micros)],
  );
  return rows.map(toEntry);
}

/**
 * In a transaction: forgets segments and moves each aggregate's first retained sequence past
 * them, so sequences are never reused; the files are deleted after commit (a crash leaves orphans).
 */
export async function forgetSegments(tx: Tx, ids: number[]): Promise<void> {
  await tx`
    update aggregates a set first_retained_sequence = greatest(a.first_retained_sequence, x.last_sequence + 1)
    from (select aggregate_id, aggregate_type, max(last_sequence) as last_sequence from archive_aggregate_segments
          where segment_id = any(${ids}::int8[]) group by 1, 2) x
    where a.aggregate_id = x.aggregate_id and a.aggregate_type = x.aggregate_type`;
  await tx`
    insert into event_removals (aggregate_type, from_position, to_position, events, reason)
    select aggregate_type, from_position, to_position + 1, events, 'deleted' from archive_segments where id = any(${ids}::int8[])`;
  await tx`delete from archive_segments where id = any(${ids}::int8[])`;
}

/** The segment keys the manifest lists; with `among`, only which of those it lists. */
export async function manifestKeys(sql: Sql, among?: string[]): Promise<Set<string>> {
  const rows = among
    ? await sql<{ key: string }[]>`select key from archive_segments where key = any(${among})`
    : await sql<{ key: string }[]>`select key from archive_segments`;
  return new Set(rows.map((r) => r.key));
}
