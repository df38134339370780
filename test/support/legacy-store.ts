import type postgres from 'postgres';

/** Migrations of the last version whose events table was one unpartitioned table. */
export const UNPARTITIONED_MIGRATIONS = 5;

/**
 * Fills a store migrated to UNPARTITIONED_MIGRATIONS with `total` events in one INSERT … SELECT,
 * keeping every invariant the service keeps (positions 1..N, gapless per-aggregate sequences,
 * created_at rising with position, head and relay checkpoint at N), with payloads that exercise
 * JSON text: escapes, non-ASCII, numbers of every form, nesting, nulls. Ten events per
 * aggregate, spread over the whole range; a snapshot for every hundredth aggregate.
 */
export async function seedUnpartitionedStore(sql: postgres.Sql, total: number): Promise<void> {
  const aggregates = Math.max(1, Math.floor(total / 10));
  await sql`
    insert into events (position, id, event_type, aggregate_type, aggregate_id, sequence, payload, metadata, version, created_at)
    select g, md5('event-' || g)::uuid, t.type || '.' || (array['created', 'renamed', 'closed'])[g % 3 + 1], t.type,
      md5('aggregate-' || n)::uuid, (g - 1) / ${aggregates} + 1,
      jsonb_build_object(
        'n', g, 'name', 'agent ' || g || ' "quoted" \ tab' || chr(9) || 'é ☃ 𝄞',
        'ratio', round(g::numeric / 7, 6), 'big', 1.5e300, 'tiny', -2.5e-8, 'neg', -g,
        'tags', jsonb_build_array('a', g % 3, null, true, false), 'deep', jsonb_build_object('k', jsonb_build_object('v', g % 11))),
      case when g % 5 = 0 then '{}'::jsonb
           else jsonb_build_object('correlation_id', 'corr-' || (g / 5), 'source', 'legacy') end,
      1 + g % 2, timestamptz '2026-01-01 00:00:00+00' + g * interval '1 millisecond' + (g % 7) * interval '1 microsecond'
    from generate_series(1, ${total}) g
    cross join lateral (select (g - 1) % ${aggregates} as n) a
    cross join lateral (select (array['agent', 'task', 'plan', 'run'])[a.n % 4 + 1] as type) t`;
  await sql`update events_head set last_position = ${total},
    last_created_at = timestamptz '2026-01-01 00:00:00+00' + ${total} * interval '1 millisecond' + 6 * interval '1 microsecond'`;
  await sql`update relay_checkpoints set position = ${total}`;
  await sql`
    insert into snapshots (aggregate_type, aggregate_id, schema_version, sequence, state)
    select e.aggregate_type, e.aggregate_id, 1, e.sequence, jsonb_build_object('seen', e.sequence, 'last', e.payload)
    from events e where e.sequence = 1 and e.position % 100 = 1`;
}
