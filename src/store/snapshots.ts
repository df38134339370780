import type { Snapshot } from '../events/event.ts';
import type { Sql } from '../postgres/database.ts';

export type { Snapshot };

export interface SnapshotWrite {
  aggregateType: string;
  aggregateId: string;
  schemaVersion: number;
  sequence: number;
  state: unknown;
}

export type WriteSnapshotResult =
  | { ok: true; stored: boolean; snapshot: Snapshot }
  | { ok: false; reason: 'beyond_current'; currentSequence: number };

interface SnapshotRow extends Omit<Snapshot, 'sequence' | 'state'> {
  sequence: string;
  state: string;
}

const columns = (sql: Sql) => sql`aggregate_type, aggregate_id::text, schema_version, sequence,
  state::text as state, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_at`;

const toSnapshot = (r: SnapshotRow): Snapshot => ({ ...r, sequence: Number(r.sequence), state: JSON.parse(r.state) });

export async function readSnapshot(sql: Sql, aggregateType: string, aggregateId: string, schemaVersion?: number): Promise<Snapshot | undefined> {
  const rows = await sql<SnapshotRow[]>`
    select ${columns(sql)} from snapshots
    where aggregate_type = ${aggregateType} and aggregate_id = ${aggregateId}
      ${schemaVersion === undefined ? sql`` : sql`and schema_version = ${schemaVersion}`}
    order by created_at desc limit 1`;
  return rows[0] && toSnapshot(rows[0]);
}

// Stores a snapshot unless it would move backwards (the kept one is returned) or run ahead of
// the aggregate; `replacing` an unusable one allows the same or a lower sequence.
export async function writeSnapshot(sql: Sql, s: SnapshotWrite, currentSequence: number, replacing?: Snapshot): Promise<WriteSnapshotResult> {
  if (s.sequence > currentSequence) return { ok: false, reason: 'beyond_current', currentSequence };
  const written = await sql<SnapshotRow[]>`
    insert into snapshots (aggregate_type, aggregate_id, schema_version, sequence, state)
    values (${s.aggregateType}, ${s.aggregateId}, ${s.schemaVersion}, ${s.sequence}, ${JSON.stringify(s.state)}::text::jsonb)
    on conflict (aggregate_type, aggregate_id, schema_version) do update
      set sequence = excluded.sequence, state = excluded.state, created_at = now()
      where snapshots.sequence < excluded.sequence
        ${replacing ? sql`or (snapshots.sequence = ${replacing.sequence} and snapshots.state = ${JSON.stringify(replacing.state)}::text::jsonb)` : sql``}
    returning ${columns(sql)}`;
  if (written[0]) return { ok: true, stored: true, snapshot: toSnapshot(written[0]) };
  const kept = await readSnapshot(sql, s.aggregateType, s.aggregateId, s.schemaVersion);
  return { ok: true, stored: false, snapshot: kept! };
}
