-- append_events_careful() (drizzle/0008_*.sql) again, with one change: an item whose request
-- body gave no metadata.correlation_id (none in its metadata, or the service added the
-- X-Correlation-Id header's: correlation_from_header) is the same as a stored event when all but
-- correlation_id is the same. A retry through a gateway that gives each attempt a correlation id
-- of its own, or none, is a resend (200), not another event (409).
CREATE OR REPLACE FUNCTION append_events_careful(p_items jsonb, p_last_position bigint, p_now timestamptz)
RETURNS TABLE (r_idx int, r_status text, r_current_sequence bigint, r_event text)
LANGUAGE plpgsql AS $$
DECLARE
  v_items append_check[];
  v_head bigint[];          -- committed-so-far sequence per aggregate ordinal
  v_work bigint[];          -- the same while the current request is being checked
  v_seq bigint[] := '{}';   -- sequence per item
  v_status text[] := '{}';  -- outcome per item
  v_cur bigint[] := '{}';   -- current sequence reported with a conflict
  v_rank int[] := '{}';     -- for created items: k, the item's rank among them
  v_json text[];            -- the created events' JSON, in position order
  it append_check;
  v_i int := 0;
  v_grp int;
  v_grp_start int := 1;
  v_grp_failed boolean := false;
  v_created int := 0;
BEGIN
  SELECT array_agg(ROW(
      s.idx, s.grp, s.id, s.event_type, s.aggregate_type, s.aggregate_id, s.payload, s.metadata,
      s.version, s.expected_sequence, s.agg_ord, s.stored)::append_check ORDER BY s.idx)
    INTO v_items
    FROM (
      SELECT i.*,
        dense_rank() OVER (ORDER BY i.aggregate_type, i.aggregate_id)::int AS agg_ord,
        CASE WHEN d.id IS NULL THEN NULL
             WHEN e.position IS NULL THEN 'moved'
             WHEN e.event_type = i.event_type AND e.aggregate_type = i.aggregate_type
                  AND e.aggregate_id = i.aggregate_id AND e.version = i.version
                  AND e.payload = i.payload
                  AND (e.metadata = i.metadata
                       OR ((i.correlation_from_header OR NOT (i.metadata ? 'correlation_id'))
                           AND e.metadata - 'correlation_id' = i.metadata - 'correlation_id'))
                  THEN 'same'
             ELSE 'other'
        END AS stored
      FROM jsonb_to_recordset(p_items) AS i(
        idx int, grp int, id uuid, event_type text, aggregate_type text, aggregate_id uuid,
        payload jsonb, metadata jsonb, version int, expected_sequence bigint, correlation_from_header boolean)
      LEFT JOIN event_ids d ON d.id = i.id
      LEFT JOIN events e ON e.position = d.position
    ) s;
  IF v_items IS NULL THEN
    RETURN;
  END IF;

  SELECT array_agg(coalesce(s.last_sequence, 0) ORDER BY a.agg_ord) INTO v_head
    FROM (SELECT DISTINCT x.agg_ord, x.aggregate_type, x.aggregate_id FROM unnest(v_items) x) a
    LEFT JOIN aggregates s ON s.aggregate_id = a.aggregate_id AND s.aggregate_type = a.aggregate_type;

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
    ELSIF it.stored = 'same' THEN
      v_status[v_i] := 'duplicate';
    ELSIF it.stored IS NOT NULL THEN
      v_status[v_i] := CASE it.stored WHEN 'other' THEN 'id_conflict' ELSE 'moved' END;
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

  -- The k-th created item (in idx order) gets position p_last_position + k.
  FOR k IN 1 .. v_i LOOP
    IF v_status[k] = 'created' THEN
      v_created := v_created + 1;
      v_rank[k] := v_created;
    END IF;
  END LOOP;

  IF v_created > 0 THEN
    WITH created AS (
      SELECT x.*, p_last_position + x.rank AS pos
      FROM unnest(v_items, v_seq, v_status, v_rank) AS x(
        idx, grp, id, event_type, aggregate_type, aggregate_id, payload, metadata, version,
        expected_sequence, agg_ord, stored, seq, status, rank)
      WHERE x.status = 'created'
    ), inserted AS (
      INSERT INTO events AS e (position, id, event_type, aggregate_type, aggregate_id, sequence,
                               payload, metadata, version, created_at)
      SELECT c.pos, c.id, c.event_type, c.aggregate_type, c.aggregate_id, c.seq, c.payload,
             c.metadata, c.version, p_now
      FROM created c
      RETURNING e.position, event_json(e) AS json
    ), ids AS (
      INSERT INTO event_ids (id, position) SELECT c.id, c.pos FROM created c
    ), aggs AS (
      INSERT INTO aggregates AS a (aggregate_id, aggregate_type, last_sequence, first_position, last_position)
      SELECT c.aggregate_id, c.aggregate_type, max(c.seq), min(c.pos), max(c.pos)
      FROM created c GROUP BY c.aggregate_id, c.aggregate_type
      ON CONFLICT (aggregate_id, aggregate_type) DO UPDATE
        SET last_sequence = excluded.last_sequence, last_position = excluded.last_position
    )
    SELECT array_agg(ins.json ORDER BY ins.position) INTO v_json FROM inserted ins;
    UPDATE events_head SET last_position = p_last_position + v_created, last_created_at = p_now
      WHERE singleton;
  END IF;

  RETURN QUERY
    SELECT x.idx, x.status, x.cur,
           CASE x.status
             WHEN 'created' THEN v_json[x.rank]
             WHEN 'duplicate' THEN (SELECT event_json(s) FROM event_ids d JOIN events s ON s.position = d.position WHERE d.id = x.id)
           END
    FROM unnest(v_items, v_status, v_cur, v_rank) AS x(
      idx, grp, id, event_type, aggregate_type, aggregate_id, payload, metadata, version,
      expected_sequence, agg_ord, stored, status, cur, rank)
    ORDER BY x.idx;
END
$$;
