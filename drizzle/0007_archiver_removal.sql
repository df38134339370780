-- The archiver's own way for events to leave PostgreSQL (SPEC §2 and §8, docs/storage.md):
-- events_remove() and events_drop_partition(). Anything else that would change or remove a
-- stored event is still refused by the database.

-- UPDATE and TRUNCATE never pass. DELETE passes only while events.allow_removal is 'on' in
-- the transaction, which events_remove() sets around its own DELETE and resets after it.
CREATE OR REPLACE FUNCTION events_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('events.allow_removal', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'events are immutable: % on % is not allowed', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'restrict_violation',
          HINT = 'events leave PostgreSQL only through events_remove() and events_drop_partition()';
END
$$;
--> statement-breakpoint
-- The position every publisher has published up to: nothing above it may leave PostgreSQL.
CREATE FUNCTION events_published_position() RETURNS bigint
LANGUAGE sql STABLE AS $$
  SELECT coalesce(min(c.position), 0) FROM relay_checkpoints c
$$;
--> statement-breakpoint
-- Removes the events of one aggregate type with positions in [p_from, p_to): p_reason
-- 'archived' once they are in a verified segment, 'deleted' when past retention (each
-- aggregate's first_retained_sequence then moves past them). Refuses positions not yet
-- published. Their ids stay in event_ids and their aggregates in aggregates, so neither a
-- position nor a sequence is ever reused. Recorded in event_removals; returns the count.
CREATE FUNCTION events_remove(p_aggregate_type text, p_from bigint, p_to bigint, p_reason text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  v_removed bigint;
BEGIN
  IF p_reason IS NULL OR p_reason NOT IN ('archived', 'deleted') THEN
    RAISE EXCEPTION 'the reason must be archived or deleted, not %', p_reason USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_to - 1 > events_published_position() THEN
    RAISE EXCEPTION 'position % is not published yet (published up to %)', p_to - 1, events_published_position()
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  PERFORM set_config('events.allow_removal', 'on', true);
  WITH gone AS (
    DELETE FROM events e
    WHERE e.aggregate_type = p_aggregate_type AND e.position >= p_from AND e.position < p_to
    RETURNING e.aggregate_id, e.aggregate_type, e.sequence
  ), retired AS (
    UPDATE aggregates a SET first_retained_sequence = greatest(a.first_retained_sequence, l.sequence + 1)
    FROM (SELECT g.aggregate_id, g.aggregate_type, max(g.sequence) AS sequence FROM gone g GROUP BY 1, 2) l
    WHERE p_reason = 'deleted' AND a.aggregate_id = l.aggregate_id AND a.aggregate_type = l.aggregate_type
  )
  SELECT count(*) INTO v_removed FROM gone;
  PERFORM set_config('events.allow_removal', 'off', true);
  IF v_removed > 0 THEN
    INSERT INTO event_removals (aggregate_type, from_position, to_position, events, reason)
      VALUES (p_aggregate_type, p_from, p_to, v_removed, p_reason);
  END IF;
  RETURN v_removed;
END
$$;
--> statement-breakpoint
-- Detaches and drops a whole partition (by name) once the archiver has archived or deleted
-- every row in it: p_expected_rows is how many it accounted for, and any other count refuses.
-- The partition must lie wholly at or below the published position. DETACH holds ACCESS
-- EXCLUSIVE on events until the caller commits: call it in a short transaction of its own,
-- with a lock_timeout. Recorded in event_removals (a row per type); returns the row count.
CREATE FUNCTION events_drop_partition(p_partition text, p_expected_rows bigint, p_reason text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  v_bounds text[];
  v_rows bigint;
BEGIN
  IF p_reason IS NULL OR p_reason NOT IN ('archived', 'deleted') THEN
    RAISE EXCEPTION 'the reason must be archived or deleted, not %', p_reason USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \(''(\d+)''\) TO \(''(\d+)''\)') INTO v_bounds
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'events'::regclass AND c.relname = p_partition;
  IF v_bounds IS NULL THEN
    RAISE EXCEPTION '% is not a partition of events', p_partition USING ERRCODE = 'undefined_table';
  END IF;
  IF v_bounds[2]::bigint - 1 > events_published_position() THEN
    RAISE EXCEPTION 'partition % reaches position %, which is not published yet', p_partition, v_bounds[2]::bigint - 1
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  -- No removal may change the rows between the count and the drop.
  EXECUTE format('LOCK TABLE %I IN SHARE ROW EXCLUSIVE MODE', p_partition);
  EXECUTE format('SELECT count(*) FROM %I', p_partition) INTO v_rows;
  IF v_rows <> p_expected_rows THEN
    RAISE EXCEPTION 'partition % holds % events, not %', p_partition, v_rows, p_expected_rows
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  IF p_reason = 'deleted' THEN
    EXECUTE format('UPDATE aggregates a SET first_retained_sequence = greatest(a.first_retained_sequence, l.sequence + 1)
      FROM (SELECT aggregate_id, aggregate_type, max(sequence) AS sequence FROM %I GROUP BY 1, 2) l
      WHERE a.aggregate_id = l.aggregate_id AND a.aggregate_type = l.aggregate_type', p_partition);
  END IF;
  EXECUTE format('INSERT INTO event_removals (aggregate_type, from_position, to_position, events, reason)
    SELECT aggregate_type, %s, %s, count(*), %L FROM %I GROUP BY aggregate_type', v_bounds[1], v_bounds[2], p_reason, p_partition);
  EXECUTE format('ALTER TABLE events DETACH PARTITION %I', p_partition);
  EXECUTE format('DROP TABLE %I', p_partition);
  RETURN v_rows;
END
$$;
