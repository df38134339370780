-- events_set_partition_size() (drizzle/0006_*.sql) again, with its locks taken in the order
-- append_events() takes them: the head row first, then the partitioning lock. In the old order
-- a size change and an append that had to make a partition could each hold what the other waited
-- for, and PostgreSQL failed one of them (40P01, the append's group commit a 503).
CREATE OR REPLACE FUNCTION events_set_partition_size(p_size bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_head bigint;
  v_until bigint;
  r record;
BEGIN
  SELECT h.last_position INTO v_head FROM events_head h WHERE h.singleton FOR UPDATE;
  PERFORM pg_advisory_xact_lock(hashtext('events_partitioning'));
  SELECT p.partitioned_until INTO v_until FROM events_partitioning p WHERE p.singleton;
  FOR r IN
    SELECT c.relname AS name, (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \(''?(\d+)'))[1]::bigint AS from_position
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'events'::regclass
  LOOP
    IF r.from_position > v_head THEN
      EXECUTE format('ALTER TABLE events DETACH PARTITION %I', r.name);
      EXECUTE format('DROP TABLE %I', r.name);
      v_until := least(v_until, r.from_position);
    END IF;
  END LOOP;
  UPDATE events_partitioning SET partition_size = p_size, partitioned_until = v_until WHERE singleton;
  PERFORM events_prepare_partitions();
END
$$;
