-- The hot events table becomes partitioned by range of position (docs/storage.md). The table
-- as it was becomes the first partition, [1, bound), with its rows and indexes as they are:
-- nothing is copied but the ids and aggregates that fill the uniqueness tables.

ALTER TABLE aggregates SET (fillfactor = 80);
--> statement-breakpoint
ALTER TABLE events RENAME TO events_1;
--> statement-breakpoint
DROP TRIGGER events_immutable_rows ON events_1;
--> statement-breakpoint
DROP TRIGGER events_immutable_truncate ON events_1;
--> statement-breakpoint
ALTER INDEX events_pkey RENAME TO events_pkey_1;
--> statement-breakpoint
ALTER INDEX events_aggregate_id_position_idx RENAME TO events_aggregate_id_position_idx_1;
--> statement-breakpoint
ALTER INDEX events_aggregate_type_position_idx RENAME TO events_aggregate_type_position_idx_1;
--> statement-breakpoint
ALTER INDEX events_event_type_position_idx RENAME TO events_event_type_position_idx_1;
--> statement-breakpoint
ALTER INDEX events_correlation_id_position_idx RENAME TO events_correlation_id_position_idx_1;
--> statement-breakpoint
ALTER INDEX events_created_at_position_idx RENAME TO events_created_at_position_idx_1;
--> statement-breakpoint
CREATE TABLE events (
	"position" bigint NOT NULL,
	"id" uuid NOT NULL,
	"event_type" text NOT NULL,
	"aggregate_type" text NOT NULL,
	"aggregate_id" uuid NOT NULL,
	"sequence" bigint NOT NULL,
	"payload" jsonb NOT NULL,
	"metadata" jsonb NOT NULL,
	"version" integer NOT NULL,
	"created_at" timestamp (6) with time zone NOT NULL,
	CONSTRAINT "events_pkey" PRIMARY KEY ("position"),
	CONSTRAINT "events_aggregate_type_check" CHECK ("aggregate_type" ~ '^[a-z][a-z0-9_-]{0,63}$'),
	CONSTRAINT "events_event_type_check" CHECK ("event_type" ~ '^[a-z][a-z0-9_-]{0,63}\.[a-z][a-z0-9_-]{0,63}$' AND split_part("event_type", '.', 1) = "aggregate_type"),
	CONSTRAINT "events_sequence_check" CHECK ("sequence" >= 1),
	CONSTRAINT "events_position_check" CHECK ("position" >= 1),
	CONSTRAINT "events_version_check" CHECK ("version" >= 1),
	CONSTRAINT "events_payload_check" CHECK (jsonb_typeof("payload") = 'object'),
	CONSTRAINT "events_metadata_check" CHECK (jsonb_typeof("metadata") = 'object')
) PARTITION BY RANGE ("position");
--> statement-breakpoint
CREATE INDEX "events_aggregate_id_position_idx" ON events ("aggregate_id", "position");
--> statement-breakpoint
CREATE INDEX "events_aggregate_type_position_idx" ON events ("aggregate_type", "position");
--> statement-breakpoint
CREATE INDEX "events_event_type_position_idx" ON events ("event_type", "position");
--> statement-breakpoint
CREATE INDEX "events_correlation_id_position_idx" ON events (("metadata" ->> 'correlation_id'), "position") WHERE ("metadata" ->> 'correlation_id') IS NOT NULL;
--> statement-breakpoint
CREATE INDEX "events_created_at_position_idx" ON events ("created_at", "position");
--> statement-breakpoint
-- The canonical JSON of SPEC §2, now over the partitioned table's row type (same text).
CREATE FUNCTION event_json(e events) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT '{"id":"' || e.id
    || '","event_type":"' || e.event_type
    || '","aggregate_type":"' || e.aggregate_type
    || '","aggregate_id":"' || e.aggregate_id
    || '","sequence":' || e.sequence
    || ',"position":' || e.position
    || ',"payload":' || e.payload::text
    || ',"metadata":' || e.metadata::text
    || ',"version":' || e.version
    || ',"created_at":"' || to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
    || '"}'
$$;
--> statement-breakpoint
DROP FUNCTION event_json(events_1);
--> statement-breakpoint
-- Row triggers on a partitioned table are cloned to every partition, present and future.
CREATE TRIGGER events_immutable_rows BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION events_refuse_change();
--> statement-breakpoint
CREATE TRIGGER events_immutable_truncate BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();
--> statement-breakpoint
-- Creates partitions of p_size positions each until positions below p_until are covered, each
-- as CREATE TABLE + ATTACH PARTITION: ATTACH takes SHARE UPDATE EXCLUSIVE on events, which
-- neither reads nor appends conflict with (CREATE TABLE … PARTITION OF would take ACCESS
-- EXCLUSIVE). Partitions are named events_<first position>, their indexes <parent index>_<first
-- position>. Serialised by an advisory lock; returns how many it created.
CREATE FUNCTION events_add_partitions(p_until bigint) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
  v_size bigint;
  v_from bigint;
  v_name text;
  v_made int := 0;
  r record;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('events_partitioning'));
  SELECT p.partition_size, p.partitioned_until INTO v_size, v_from FROM events_partitioning p WHERE p.singleton;
  WHILE v_from < p_until LOOP
    v_name := 'events_' || v_from;
    EXECUTE format('CREATE TABLE %I (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMPRESSION)', v_name);
    EXECUTE format('ALTER TABLE events ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)', v_name, v_from, v_from + v_size);
    FOR r IN
      SELECT c.relname AS child, p.relname AS parent
      FROM pg_index x
      JOIN pg_class c ON c.oid = x.indexrelid
      JOIN pg_inherits i ON i.inhrelid = x.indexrelid
      JOIN pg_class p ON p.oid = i.inhparent
      WHERE x.indrelid = v_name::regclass
    LOOP
      EXECUTE format('ALTER INDEX %I RENAME TO %I', r.child, r.parent || '_' || v_from);
    END LOOP;
    EXECUTE format('CREATE TRIGGER events_immutable_truncate BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change()', v_name);
    v_from := v_from + v_size;
    v_made := v_made + 1;
  END LOOP;
  UPDATE events_partitioning SET partitioned_until = v_from WHERE singleton AND partitioned_until < v_from;
  RETURN v_made;
END
$$;
--> statement-breakpoint
-- Maintenance: keeps partitions made for at least partition_size positions beyond the head, so
-- appends find theirs made. append_events() makes them itself if this has fallen behind.
CREATE FUNCTION events_prepare_partitions() RETURNS int
LANGUAGE sql AS $$
  SELECT events_add_partitions(h.last_position + 1 + p.partition_size)
  FROM events_head h, events_partitioning p
$$;
--> statement-breakpoint
-- The size of partitions made from now on. Partitions wholly above the head hold no rows
-- yet: they are dropped and made again at the new size. Locks the head (appends wait).
CREATE FUNCTION events_set_partition_size(p_size bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_head bigint;
  v_until bigint;
  r record;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('events_partitioning'));
  SELECT h.last_position INTO v_head FROM events_head h WHERE h.singleton FOR UPDATE;
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
--> statement-breakpoint
-- The table as it was becomes the first partition: [1, the first multiple of the size plus one
-- above its head). Its indexes match the parent's and are attached as they are.
DO $$
DECLARE
  v_size constant bigint := 1000000;
  v_head bigint;
  v_bound bigint;
BEGIN
  SELECT last_position INTO v_head FROM events_head WHERE singleton;
  v_bound := (v_head / v_size + 1) * v_size + 1;
  EXECUTE format('ALTER TABLE events ATTACH PARTITION events_1 FOR VALUES FROM (1) TO (%s)', v_bound);
  INSERT INTO events_partitioning (singleton, partition_size, partitioned_until) VALUES (true, v_size, v_bound);
END
$$;
--> statement-breakpoint
CREATE TRIGGER events_immutable_truncate BEFORE TRUNCATE ON events_1
  FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();
--> statement-breakpoint
SELECT events_prepare_partitions();
--> statement-breakpoint
ALTER TABLE event_ids DROP CONSTRAINT event_ids_pkey;
--> statement-breakpoint
INSERT INTO event_ids (id, position) SELECT id, position FROM events_1;
--> statement-breakpoint
ALTER TABLE event_ids ADD CONSTRAINT event_ids_pkey PRIMARY KEY (id);
--> statement-breakpoint
INSERT INTO aggregates (aggregate_id, aggregate_type, last_sequence, first_position, last_position)
SELECT aggregate_id, aggregate_type, max(sequence), min(position), max(position)
FROM events_1 GROUP BY aggregate_id, aggregate_type;
