import { z } from 'zod';
import { AppError, type FieldError } from '../errors.ts';
import { EVENT_TYPE_PATTERN, NAME_PATTERN } from '../events/names.ts';
import { instantParameter } from '../events/query-input.ts';
import type { StatsBucket, StatsQuery } from '../store/stats-rollups.ts';
import { parseQuery } from './query-errors.ts';

/** Most buckets one GET /stats answer may span. */
export const STATS_MAX_BUCKETS = 10_000;
const BUCKET_MS: Record<StatsBucket, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
/** Without `from`, an answer spans this many buckets back from `to`. */
export const STATS_DEFAULT_BUCKETS: Record<StatsBucket, number> = { minute: 60, hour: 24, day: 30 };
// A bucket bound goes to PostgreSQL and back to the client as toISOString() writes it, which only
// years 1 to 9999 keep as PostgreSQL reads it (year 0 as 0000, later ones signed). An instant that
// GET /events reads may fall outside in UTC (0001-01-01T00:00:00+15:59 is in 1 BC), and so may a
// bound once aligned to its bucket or defaulted: such a range is refused, never sent.
const FIRST_MS = Date.parse('0001-01-01T00:00:00Z');
const LAST_MS = Date.parse('9999-12-31T00:00:00Z');
const BOUNDS = 'must fall from 0001-01-01 to 9999-12-31 in UTC, once aligned to whole buckets';


export const statsQuerySchema = z.strictObject({
  bucket: z.enum(['minute', 'hour', 'day'], 'must be minute, hour or day').default('hour'),
  from: instantParameter('the range\'s start, widened to its bucket\'s').optional(),
  to: instantParameter('the range\'s end, widened to its bucket\'s').optional(),
  aggregate_type: z.string().regex(NAME_PATTERN, 'must be an aggregate type matching [a-z][a-z0-9_-]{0,63}').optional(),
  event_type: z.string().regex(EVENT_TYPE_PATTERN, 'must be an event type <aggregate>.<verb>').optional(),
});
const KNOWN = Object.keys(statsQuerySchema.shape);

// An instant as instantParameter() gives it, rounded up when it has microseconds past the millisecond.
function instantMs(iso: string, up: boolean): number {
  const micros = Number(/\.\d{3}(\d{3})/.exec(iso)?.[1] ?? 0);
  return Date.parse(iso) + (up && micros > 0 ? 1 : 0);
}

/** Validates GET /stats and widens its range to whole UTC buckets; 400 for a bad parameter or more than STATS_MAX_BUCKETS. */
export function parseStatsQuery(query: Record<string, string[]>, now = Date.now()): StatsQuery {
  const q = parseQuery(statsQuerySchema, query, KNOWN);
  const size = BUCKET_MS[q.bucket];
  const to = Math.ceil((q.to === undefined ? now : instantMs(q.to, true)) / size) * size;
  const from = q.from === undefined ? to - STATS_DEFAULT_BUCKETS[q.bucket] * size : Math.floor(instantMs(q.from, false) / size) * size;
  const errors: FieldError[] = [];
  const given = (['from', 'to'] as const).filter((k) => q[k] !== undefined);
  if (to < FIRST_MS || to > LAST_MS) errors.push({ pointer: '/to', detail: BOUNDS });
  if (from < FIRST_MS) {
    const detail = q.from !== undefined ? BOUNDS : `defaults to ${STATS_DEFAULT_BUCKETS[q.bucket]} ${q.bucket} buckets before to, which starts before 0001-01-01 in UTC: give from`;
    errors.push({ pointer: '/from', detail });
  }
  if (errors.length > 0) throw new AppError('malformed_request', 'invalid query parameters', { errors });
  if (from > to) errors.push({ pointer: '/from', detail: q.to !== undefined ? 'must not be later than to' : 'must not be later than now (the default to)' });
  else if ((to - from) / size > STATS_MAX_BUCKETS) {
    const detail = `the range holds ${((to - from) / size).toLocaleString('en-US')} ${q.bucket} buckets; an answer holds at most ${STATS_MAX_BUCKETS.toLocaleString('en-US')}: narrow the range or choose a larger bucket`;
    for (const k of given.length > 0 ? given : (['bucket'] as const)) errors.push({ pointer: `/${k}`, detail });
  }
  if (errors.length > 0) throw new AppError('malformed_request', 'invalid query parameters', { errors });
  return {
    bucket: q.bucket,
    from: new Date(from).toISOString().replace('.000Z', 'Z'),
    to: new Date(to).toISOString().replace('.000Z', 'Z'),
    ...(q.aggregate_type ? { aggregateType: q.aggregate_type } : {}),
    ...(q.event_type ? { eventType: q.event_type } : {}),
  };
}
