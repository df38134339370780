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
  v_until bigint;
  v_rows bigint;
BEGIN
  SELECT h.last_position, h.last_created_at, p.partitioned_until INTO v_last_position, v_last_created_at, v_until
    FROM events_head h, events_partitioning p WHERE h.singleton AND p.singleton FOR UPDATE OF h;
  v_now := greatest(clock_timestamp(), v_last_created_at);
  -- Partitions are made ahead by maintenance; if it has fallen behind, the append makes them.
  IF v_last_position + v_count >= v_until THEN
    PERFORM events_add_partitions(v_last_position + v_count + 1);
  END IF;

  -- Fast path, one statement: no stored id among the items and every expectation met, which
  -- is almost every call. Otherwise it writes nothing and append_events_careful() decides
  -- item by item. Each statement takes a fresh snapshot, so it sees every append committed
  -- before the lock was granted. Items come numbered idx 0..n-1 (else the careful path): the
  -- k-th gets the k-th next position.
  RETURN QUERY
    WITH x AS (
      SELECT x.* FROM jsonb_to_recordset(p_items) AS x(
        idx int, id uuid, event_type text, aggregate_type text, aggregate_id uuid, payload jsonb,
        metadata jsonb, version int, expected_sequence bigint)
    ), i AS (
      SELECT x.*, v_last_position + x.idx + 1 AS pos,
        coalesce((SELECT s.last_sequence FROM aggregates s
                  WHERE s.aggregate_id = x.aggregate_id AND s.aggregate_type = x.aggregate_type), 0)
          + row_number() OVER w AS seq,
        min(x.idx) OVER p AS agg_first,
        row_number() OVER w = count(*) OVER p AS agg_last
      FROM x WINDOW p AS (PARTITION BY x.aggregate_type, x.aggregate_id), w AS (p ORDER BY x.idx)
    ), ok AS (
      SELECT (SELECT count(DISTINCT i.idx) = v_count AND min(i.idx) = 0 AND max(i.idx) = v_count - 1 FROM i)
         AND NOT EXISTS (SELECT 1 FROM i WHERE i.expected_sequence <> i.seq - 1)
         AND NOT EXISTS (SELECT 1 FROM i WHERE EXISTS (SELECT 1 FROM event_ids d WHERE d.id = i.id)) AS ok
    ), inserted AS (
      INSERT INTO events AS e (position, id, event_type, aggregate_type, aggregate_id, sequence,
                               payload, metadata, version, created_at)
      SELECT i.pos, i.id, i.event_type, i.aggregate_type, i.aggregate_id, i.seq, i.payload,
             i.metadata, i.version, v_now
      FROM i WHERE (SELECT ok FROM ok)
      RETURNING e.position, event_json(e) AS json
    ), ids AS (
      INSERT INTO event_ids (id, position) SELECT i.id, i.pos FROM i WHERE (SELECT ok FROM ok)
    ), aggs AS (
      INSERT INTO aggregates AS a (aggregate_id, aggregate_type, last_sequence, first_position, last_position)
      SELECT i.aggregate_id, i.aggregate_type, i.seq, v_last_position + i.agg_first + 1, i.pos
      FROM i WHERE i.agg_last AND (SELECT ok FROM ok)
      ON CONFLICT (aggregate_id, aggregate_type) DO UPDATE
        SET last_sequence = excluded.last_sequence, last_position = excluded.last_position
    ), head AS (
      UPDATE events_head SET last_position = v_last_position + v_count, last_created_at = v_now
      WHERE singleton AND (SELECT ok FROM ok)
    )
    SELECT (ins.position - v_last_position - 1)::int, 'created'::text, NULL::bigint, ins.json
    FROM inserted ins
    ORDER BY ins.position;
  GET DIAGNOSTICS v_rows = ROW_COUNT;
  IF v_rows = 0 THEN
    RETURN QUERY SELECT * FROM append_events_careful(p_items, v_last_position, v_now);
  END IF;
END
$$;
