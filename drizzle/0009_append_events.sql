-- append_events(): appends the items of several requests (group commit) in one transaction.
--
-- Ordering contract (SPEC §5; docs/ordering.md points here). The first statement locks the
-- single events_head row, and the lock is held until commit. Every append therefore reads the
-- state the previous append committed, takes the next positions from the head and commits
-- strictly after it: positions are gapless, commit order is position order, and no reader can
-- see position p+1 without p, so paging with `after=` never skips an event. Partitions do not
-- change this: they split the table by position, not the order in which positions commit. The
-- price is one committing append at a time, which group commit pays back by putting many
-- requests into that one transaction. created_at is taken under the same lock and never goes
-- backwards along position, so a time bound is a position bound.
--
-- Uniqueness lives outside the partitioned table: event_ids (every id ever stored) and
-- aggregates (each aggregate's last sequence, never reused). Both are written in the same
-- transaction as the events; under the lock, the checks against them cannot go stale.
--
-- Per item the result is: created (with the stored event), duplicate (same id and body
-- stored: the stored event), conflict (expected_sequence mismatch: the current sequence),
-- id_conflict (same id, another body), moved (the id is stored but its event has left
-- PostgreSQL), or skipped (another item of its request failed). Items come grouped by request,
-- ids unique across the call. A request is all or nothing.
CREATE OR REPLACE FUNCTION append_events(p_items jsonb)
RETURNS TABLE (r_idx int, r_status text, r_current_sequence bigint, r_event text)
LANGUAGE plpgsql AS $$
DECLARE
  v_last_position bigint;
  v_last_created_at timestamptz;
  v_now timestamptz;
  v_count int := jsonb_array_length(p_items);
  v_rows bigint;
BEGIN
  SELECT h.last_position, h.last_created_at INTO v_last_position, v_last_created_at
    FROM events_head h WHERE h.singleton FOR UPDATE;
  v_now := greatest(clock_timestamp(), v_last_created_at);
  -- Partitions are made ahead by maintenance; if it has fallen behind, the append makes them.
  IF v_last_position + v_count >= (SELECT p.partitioned_until FROM events_partitioning p WHERE p.singleton) THEN
    PERFORM events_add_partitions(v_last_position + v_count + 1);
  END IF;

  -- Fast path, one statement: no stored id among the items and every expectation met, which
  -- is almost every call. Otherwise it writes nothing and append_events_careful() decides
  -- item by item. Each statement takes a fresh snapshot, so it sees every append committed
  -- before the lock was granted.
  RETURN QUERY
    WITH i AS (
      SELECT x.* FROM jsonb_to_recordset(p_items) AS x(
        idx int, grp int, id uuid, event_type text, aggregate_type text, aggregate_id uuid,
        payload jsonb, metadata jsonb, version int, expected_sequence bigint)
    ), agg AS (
      SELECT a.aggregate_type, a.aggregate_id, coalesce(s.last_sequence, 0) AS head
      FROM (SELECT DISTINCT i.aggregate_type, i.aggregate_id FROM i) a
      LEFT JOIN aggregates s ON s.aggregate_id = a.aggregate_id AND s.aggregate_type = a.aggregate_type
    ), planned AS (
      SELECT i.*,
        agg.head + row_number() OVER (PARTITION BY i.aggregate_type, i.aggregate_id ORDER BY i.idx) AS seq,
        v_last_position + row_number() OVER (ORDER BY i.idx) AS pos
      FROM i JOIN agg ON agg.aggregate_type = i.aggregate_type AND agg.aggregate_id = i.aggregate_id
    ), clean AS (
      SELECT NOT EXISTS (SELECT 1 FROM planned p
                         WHERE p.expected_sequence IS NOT NULL AND p.expected_sequence <> p.seq - 1)
         AND NOT EXISTS (SELECT 1 FROM event_ids d JOIN i ON d.id = i.id) AS ok
    ), inserted AS (
      INSERT INTO events AS e (position, id, event_type, aggregate_type, aggregate_id, sequence,
                               payload, metadata, version, created_at)
      SELECT p.pos, p.id, p.event_type, p.aggregate_type, p.aggregate_id, p.seq, p.payload,
             p.metadata, p.version, v_now
      FROM planned p WHERE (SELECT ok FROM clean)
      RETURNING e.id, e.position, event_json(e) AS json
    ), ids AS (
      INSERT INTO event_ids (id, position) SELECT x.id, x.position FROM inserted x
    ), aggs AS (
      INSERT INTO aggregates AS a (aggregate_id, aggregate_type, last_sequence, first_position, last_position)
      SELECT p.aggregate_id, p.aggregate_type, max(p.seq), min(p.pos), max(p.pos)
      FROM planned p WHERE (SELECT ok FROM clean)
      GROUP BY p.aggregate_id, p.aggregate_type
      ON CONFLICT (aggregate_id, aggregate_type) DO UPDATE
        SET last_sequence = excluded.last_sequence, last_position = excluded.last_position
    ), head AS (
      UPDATE events_head SET last_position = (SELECT max(x.position) FROM inserted x), last_created_at = v_now
      WHERE singleton AND EXISTS (SELECT 1 FROM inserted)
    )
    -- positions follow idx, so the item index comes back from the position (no join: the
    -- planner would pick a nested loop over the two CTEs, quadratic in the batch size)
    SELECT (ins.position - v_last_position - 1)::int, 'created'::text, NULL::bigint, ins.json
    FROM inserted ins
    ORDER BY ins.position;
  GET DIAGNOSTICS v_rows = ROW_COUNT;
  IF v_rows = 0 THEN
    RETURN QUERY SELECT * FROM append_events_careful(p_items, v_last_position, v_now);
  END IF;
END
$$;
