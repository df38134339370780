-- Backfills the stats rollups (GET /stats) for the events stored before this migration, and
-- starts the stats projection where it stopped counting. The projector
-- (src/store/stats-rollups.ts) counts every later event, in position order, exactly once.

-- Positions become visible in order (docs/ordering.md), so the visible events are always a
-- prefix of positions: every event up to this maximum is committed, and the count below (a
-- later snapshot) sees all of them; events committed meanwhile are the projector's.
INSERT INTO projection_checkpoints (name, position)
SELECT 'stats', coalesce(max(position), 0) FROM events;
--> statement-breakpoint

INSERT INTO stats_rollups (granularity, bucket_start, event_type, aggregate_type, count)
SELECT 'minute', date_trunc('minute', e.created_at, 'UTC'), e.event_type, e.aggregate_type, count(*)
FROM events e
WHERE e.position <= (SELECT c.position FROM projection_checkpoints c WHERE c.name = 'stats')
GROUP BY 2, 3, 4;
--> statement-breakpoint

INSERT INTO stats_rollups (granularity, bucket_start, event_type, aggregate_type, count)
SELECT g.granularity, date_trunc(g.granularity, r.bucket_start, 'UTC'), r.event_type, r.aggregate_type, sum(r.count)
FROM stats_rollups r CROSS JOIN (VALUES ('hour'), ('day')) AS g(granularity)
WHERE r.granularity = 'minute'
GROUP BY 1, 2, 3, 4;
--> statement-breakpoint

-- Nothing leaves PostgreSQL before every reader that must see it has: the relay (published)
-- and the stats projection (counted; its rollups keep events whatever tier they are in).
CREATE OR REPLACE FUNCTION events_published_position() RETURNS bigint
LANGUAGE sql STABLE AS $$
  SELECT least(
    (SELECT coalesce(min(c.position), 0) FROM relay_checkpoints c),
    (SELECT coalesce(min(p.position), 9223372036854775807) FROM projection_checkpoints p))
$$;
