import { Hono } from 'hono';
import type { EventStore } from '../store/event-store.ts';
import { parseStatsQuery } from './stats-query.ts';

/** GET /stats from the rollups only; `up_to` is the position counted up to (the projection trails the commits). */
export function createStatsRoutes({ store }: { store: Pick<EventStore, 'stats'> }) {
  return new Hono().get('/', async (c) => {
    const q = parseStatsQuery(c.req.queries());
    const answer = await store.stats(q);
    const buckets: { start: string; counts: Record<string, number> }[] = [];
    const totals: Record<string, number> = {};
    for (const row of answer.rows) {
      if (buckets.at(-1)?.start !== row.start) buckets.push({ start: row.start, counts: {} });
      buckets.at(-1)!.counts[row.eventType] = row.count;
      totals[row.eventType] = (totals[row.eventType] ?? 0) + row.count;
    }
    return c.json({
      bucket: q.bucket, from: q.from, to: q.to,
      ...(q.aggregateType ? { aggregate_type: q.aggregateType } : {}),
      ...(q.eventType ? { event_type: q.eventType } : {}),
      up_to: answer.upTo, buckets, totals,
    });
  });
}
