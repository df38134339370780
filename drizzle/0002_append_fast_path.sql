-- append_events() gains a fast path: one set-based statement when no item needs the careful,
-- item-by-item path (no stored id, every expected_sequence met). Same contract as 0001.
CREATE OR REPLACE FUNCTION append_events(p_items jsonb)
RETURNS TABLE (r_idx int, r_status text, r_current_sequence bigint, r_event text)
LANGUAGE plpgsql AS $$
DECLARE
  v_last_position bigint;
  v_last_created_at timestamptz;
  v_now timestamptz;
  v_items append_item[];
  v_head bigint[];          -- committed-so-far sequence per aggregate ordinal
  v_work bigint[];          -- the same while the current request is being checked
  v_seq bigint[] := '{}';   -- sequence per item
  v_status text[] := '{}';  -- outcome per item
  v_cur bigint[] := '{}';   -- current sequence reported with a conflict
  v_rank int[] := '{}';     -- for created items: k, the item's rank among them
  v_json text[];            -- the created events' JSON, in position order
  it append_item;
  v_i int := 0;
  v_grp int;
  v_grp_start int := 1;
  v_grp_failed boolean := false;
  v_created int;
  v_rows bigint;
BEGIN
  SELECT h.last_position, h.last_created_at INTO v_last_position, v_last_created_at
    FROM events_head h WHERE h.singleton FOR UPDATE;
  -- created_at never goes backwards along position, even if the clock does.
  v_now := greatest(clock_timestamp(), v_last_created_at);

  -- Fast path, one statement: no stored id among the items and every expectation met, which
  -- is almost every call. Otherwise it inserts nothing and the careful path below decides
  -- item by item.
  RETURN QUERY
    WITH i AS (
      SELECT x.* FROM jsonb_to_recordset(p_items) AS x(
        idx int, grp int, id uuid, event_type text, aggregate_type text, aggregate_id uuid,
        payload jsonb, metadata jsonb, version int, expected_sequence bigint)
    ), agg AS (
      SELECT a.aggregate_type, a.aggregate_id,
        coalesce((SELECT max(e.sequence) FROM events e
                  WHERE e.aggregate_type = a.aggregate_type AND e.aggregate_id = a.aggregate_id), 0) AS head
      FROM (SELECT DISTINCT i.aggregate_type, i.aggregate_id FROM i) a
    ), planned AS (
      SELECT i.*,
        agg.head + row_number() OVER (PARTITION BY i.aggregate_type, i.aggregate_id ORDER BY i.idx) AS seq,
        v_last_position + row_number() OVER (ORDER BY i.idx) AS pos
      FROM i JOIN agg ON agg.aggregate_type = i.aggregate_type AND agg.aggregate_id = i.aggregate_id
    ), clean AS (
      SELECT NOT EXISTS (SELECT 1 FROM planned p
                         WHERE p.expected_sequence IS NOT NULL AND p.expected_sequence <> p.seq - 1)
         AND NOT EXISTS (SELECT 1 FROM events e JOIN i ON e.id = i.id) AS ok
    ), inserted AS (
      INSERT INTO events AS e (position, id, event_type, aggregate_type, aggregate_id, sequence,
                               payload, metadata, version, created_at)
      SELECT p.pos, p.id, p.event_type, p.aggregate_type, p.aggregate_id, p.seq, p.payload,
             p.metadata, p.version, v_now
      FROM planned p WHERE (SELECT ok FROM clean)
      RETURNING e.id, e.position, event_json(e) AS json
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
  IF v_rows > 0 THEN
    RETURN;
  END IF;

  -- Careful path: requests one by one, each all or nothing.

  -- Each statement below takes a fresh snapshot, so it sees every append committed before
  -- the lock was granted.
  SELECT array_agg(ROW(
      s.idx, s.grp, s.id, s.event_type, s.aggregate_type, s.aggregate_id, s.payload, s.metadata,
      s.version, s.expected_sequence, s.agg_ord, s.stored_same)::append_item ORDER BY s.idx)
    INTO v_items
    FROM (
      SELECT i.*,
        dense_rank() OVER (ORDER BY i.aggregate_type, i.aggregate_id)::int AS agg_ord,
        CASE WHEN e.id IS NULL THEN NULL ELSE
          e.event_type = i.event_type AND e.aggregate_type = i.aggregate_type
          AND e.aggregate_id = i.aggregate_id AND e.version = i.version
          AND e.payload = i.payload AND e.metadata = i.metadata
        END AS stored_same
      FROM jsonb_to_recordset(p_items) AS i(
        idx int, grp int, id uuid, event_type text, aggregate_type text, aggregate_id uuid,
        payload jsonb, metadata jsonb, version int, expected_sequence bigint)
      LEFT JOIN events e ON e.id = i.id
    ) s;

  IF v_items IS NULL THEN
    RETURN;
  END IF;

  SELECT array_agg(coalesce((
      SELECT max(e.sequence) FROM events e
      WHERE e.aggregate_type = a.aggregate_type AND e.aggregate_id = a.aggregate_id), 0)
    ORDER BY a.agg_ord)
    INTO v_head
    FROM (SELECT DISTINCT x.agg_ord, x.aggregate_type, x.aggregate_id FROM unnest(v_items) x) a;

  v_work := v_head;
  v_grp := (v_items[1]).grp;
  FOREACH it IN ARRAY v_items LOOP
    v_i := v_i + 1;
    IF it.grp <> v_grp THEN
      -- close the previous request: keep its sequences, or undo them
      IF v_grp_failed THEN
        v_work := v_head;
      ELSE
        v_head := v_work;
      END IF;
      v_grp := it.grp;
      v_grp_start := v_i;
      v_grp_failed := false;
    END IF;

    v_seq[v_i] := NULL;
    v_cur[v_i] := NULL;
    v_rank[v_i] := NULL;
    IF v_grp_failed THEN
      v_status[v_i] := 'skipped';
    ELSIF it.stored_same THEN
      v_status[v_i] := 'duplicate';
    ELSIF NOT it.stored_same THEN
      v_status[v_i] := 'id_conflict';
      v_grp_failed := true;
    ELSIF it.expected_sequence IS NOT NULL AND it.expected_sequence <> v_work[it.agg_ord] THEN
      v_status[v_i] := 'conflict';
      v_cur[v_i] := v_work[it.agg_ord];
      v_grp_failed := true;
    ELSE
      v_work[it.agg_ord] := v_work[it.agg_ord] + 1;
      v_seq[v_i] := v_work[it.agg_ord];
      v_status[v_i] := 'created';
    END IF;

    IF v_grp_failed THEN
      -- items of this request already marked created or duplicate do not happen after all
      FOR k IN v_grp_start .. v_i LOOP
        IF v_status[k] IN ('created', 'duplicate') THEN
          v_status[k] := 'skipped';
          v_seq[k] := NULL;
        END IF;
      END LOOP;
    END IF;
  END LOOP;

  -- The k-th created item (in idx order) gets position v_last_position + k.
  v_created := 0;
  FOR k IN 1 .. v_i LOOP
    IF v_status[k] = 'created' THEN
      v_created := v_created + 1;
      v_rank[k] := v_created;
    END IF;
  END LOOP;

  IF v_created > 0 THEN
    WITH input AS (
      SELECT * FROM unnest(v_items, v_seq, v_status) AS x(
        idx, grp, id, event_type, aggregate_type, aggregate_id, payload, metadata, version,
        expected_sequence, agg_ord, stored_same, seq, status)
    ), inserted AS (
      INSERT INTO events AS e (position, id, event_type, aggregate_type, aggregate_id, sequence,
                               payload, metadata, version, created_at)
      SELECT v_last_position + row_number() OVER (ORDER BY i.idx), i.id, i.event_type,
             i.aggregate_type, i.aggregate_id, i.seq, i.payload, i.metadata, i.version, v_now
      FROM input i WHERE i.status = 'created'
      RETURNING e.position, event_json(e) AS json
    )
    SELECT array_agg(ins.json ORDER BY ins.position) INTO v_json FROM inserted ins;
    UPDATE events_head SET last_position = v_last_position + v_created, last_created_at = v_now
      WHERE singleton;
  END IF;

  RETURN QUERY
    SELECT x.idx, x.status, x.cur,
           CASE x.status
             WHEN 'created' THEN v_json[x.rank]
             WHEN 'duplicate' THEN (SELECT event_json(s) FROM events s WHERE s.id = x.id)
           END
    FROM unnest(v_items, v_status, v_cur, v_rank) AS x(
      idx, grp, id, event_type, aggregate_type, aggregate_id, payload, metadata, version,
      expected_sequence, agg_ord, stored_same, status, cur, rank)
    ORDER BY x.idx;
END
$$;
