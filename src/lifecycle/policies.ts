import type { Connections, Sql } from '../postgres/database.ts';
import type { RetentionPolicyInput } from './policy-input.ts';

export interface RetentionPolicy {
  aggregate_type: string;
  archive_after: string | null;
  delete_after: string | null;
  /** null: no policy stored, the default (keep forever). */
  updated_at: string | null;
}

export interface TierCounts {
  hot: { events: number; bytes: number | null; bytes_estimated: true };
  archive: { events: number; bytes: number; segments: number };
  deleted: { events: number };
}

/** On `db`'s connections: a request for a policy fails at once while PostgreSQL is known down. */
export function createRetentionPolicies(db: Pick<Connections, 'use'>) {
  const columns = (sql: Sql) => sql`aggregate_type, archive_after, delete_after, to_char(updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as updated_at`;
  return {
    list: () => db.use((sql) => sql<RetentionPolicy[]>`select ${columns(sql)} from retention_policies order by aggregate_type`),
    get: (type: string) => db.use(async (sql): Promise<RetentionPolicy> => {
      const [row] = await sql<RetentionPolicy[]>`select ${columns(sql)} from retention_policies where aggregate_type = ${type}`;
      return row ?? { aggregate_type: type, archive_after: null, delete_after: null, updated_at: null };
    }),
    put: (type: string, p: RetentionPolicyInput) => db.use(async (sql): Promise<{ policy: RetentionPolicy; created: boolean }> => {
      const [row] = await sql<(RetentionPolicy & { created: boolean })[]>`
        insert into retention_policies (aggregate_type, archive_after, delete_after)
        values (${type}, ${p.archive_after}, ${p.delete_after})
        on conflict (aggregate_type) do update
          set archive_after = excluded.archive_after, delete_after = excluded.delete_after, updated_at = now()
        returning ${columns(sql)}, (xmax = 0) as created`;
      const { created, ...policy } = row!;
      return { policy, created };
    }),
    remove: (type: string) => db.use(async (sql) => (await sql`delete from retention_policies where aggregate_type = ${type}`).count > 0),
    tiers: (type: string) => db.use((sql) => tierCounts(sql, type)),
  };
}

export type RetentionPolicies = ReturnType<typeof createRetentionPolicies>;

/** Events per tier without counting events: each aggregate's retained range, minus what the manifest archived. Hot bytes are estimated. */
async function tierCounts(sql: Sql, type: string): Promise<TierCounts> {
  const [row] = await sql<{ retained: string; archived: string; archive_bytes: string; segments: string; deleted: string; hot_bytes: string | null; hot_rows: string | null }[]>`
    select
      (select coalesce(sum(last_sequence - first_retained_sequence + 1), 0) from aggregates where aggregate_type = ${type}) as retained,
      s.archived, s.archive_bytes, s.segments,
      (select coalesce(sum(events), 0) from event_removals where aggregate_type = ${type} and reason = 'deleted') as deleted,
      p.hot_bytes, p.hot_rows
    from (select coalesce(sum(events), 0) as archived, coalesce(sum(bytes), 0) as archive_bytes, count(*) as segments
          from archive_segments where aggregate_type = ${type}) s,
         (select sum(pg_total_relation_size(c.oid)) as hot_bytes, sum(greatest(c.reltuples, 0)) as hot_rows
          from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'events'::regclass) p`;
  const r = row!;
  const hot = Math.max(0, Number(r.retained) - Number(r.archived));
  const perRow = Number(r.hot_rows) > 0 ? Number(r.hot_bytes) / Number(r.hot_rows) : null;
  return {
    hot: { events: hot, bytes: perRow === null ? null : Math.round(hot * perRow), bytes_estimated: true },
    archive: { events: Number(r.archived), bytes: Number(r.archive_bytes), segments: Number(r.segments) },
    deleted: { events: Number(r.deleted) },
  };
}
