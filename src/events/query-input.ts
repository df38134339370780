import { AppError, type FieldError } from '../errors.ts';
import { EVENT_TYPE_PATTERN, NAME_PATTERN, UUID_PATTERN } from './names.ts';
import { parseInstant } from './timestamp.ts';

/** Default largest `limit` (MAX_QUERY_LIMIT). */
export const MAX_QUERY_LIMIT = 1000;
export const DEFAULT_QUERY_LIMIT = 100;
export const MAX_QUERY_OFFSET = 100_000;

/** The filters of GET /events (SPEC §3), validated. */
export interface EventQuery {
  aggregateType?: string;
  aggregateId?: string;
  eventType?: string;
  correlationId?: string;
  from?: string;
  to?: string;
  after?: number;
  limit: number;
  offset: number;
  order: 'asc' | 'desc';
  /** 'hot': PostgreSQL only, leaving out archived events (SPEC §8); default: every tier. */
  tier?: 'hot' | 'all';
}

const INTEGER = /^(0|[1-9]\d{0,15})$/;

type Parser = (value: string) => string | number | undefined;

const int = (min: number, max: number): Parser => (v) => {
  if (!INTEGER.test(v)) return undefined;
  const n = Number(v);
  return n >= min && n <= max ? n : undefined;
};
const match = (re: RegExp): Parser => (v) => (re.test(v) ? v : undefined);

const params: Record<string, { key: keyof EventQuery; parse: Parser; expect: string }> = {
  aggregate_type: { key: 'aggregateType', parse: match(NAME_PATTERN), expect: 'an aggregate type matching [a-z][a-z0-9_-]{0,63}' },
  aggregate_id: { key: 'aggregateId', parse: (v) => (UUID_PATTERN.test(v) ? v.toLowerCase() : undefined), expect: 'a UUID' },
  event_type: { key: 'eventType', parse: match(EVENT_TYPE_PATTERN), expect: 'an event type <aggregate>.<verb>' },
  correlation_id: {
    key: 'correlationId',
    parse: (v) => (v.length > 0 && v.length <= 1024 && !v.includes('\0') && v.isWellFormed() ? v : undefined),
    expect: 'a non-empty string of at most 1024 characters',
  },
  from: { key: 'from', parse: (v) => parseInstant(v) ?? undefined, expect: 'an ISO 8601 instant, e.g. 2026-11-23T01:44:44.123456Z' },
  to: { key: 'to', parse: (v) => parseInstant(v) ?? undefined, expect: 'an ISO 8601 instant, e.g. 2026-11-23T01:44:44.123456Z' },
  after: { key: 'after', parse: int(0, Number.MAX_SAFE_INTEGER), expect: 'a position (integer >= 0)' },
  limit: { key: 'limit', parse: int(1, Number.MAX_SAFE_INTEGER), expect: 'an integer from 1' },
  offset: { key: 'offset', parse: int(0, MAX_QUERY_OFFSET), expect: `an integer from 0 to ${MAX_QUERY_OFFSET}` },
  order: { key: 'order', parse: (v) => (v === 'asc' || v === 'desc' ? v : undefined), expect: '"asc" or "desc"' },
  tier: { key: 'tier', parse: (v) => (v === 'hot' || v === 'all' ? v : undefined), expect: '"hot" (PostgreSQL only) or "all"' },
};

/**
 * Validates the query string of GET /events. Unknown or repeated parameters are refused, so a
 * typo (aggregateId=…) never silently widens a query to every event.
 */
export function parseEventQuery(query: Record<string, string[]>, maxLimit = MAX_QUERY_LIMIT): EventQuery {
  const out: Record<string, unknown> = { limit: DEFAULT_QUERY_LIMIT, offset: 0, order: 'asc' };
  const errors: FieldError[] = [];
  for (const [name, values] of Object.entries(query)) {
    const spec = Object.hasOwn(params, name) ? params[name] : undefined;
    if (!spec) {
      errors.push({ pointer: `/${name}`, detail: `unknown parameter; known: ${Object.keys(params).join(', ')}` });
    } else if (values.length !== 1) {
      errors.push({ pointer: `/${name}`, detail: 'given more than once' });
    } else {
      const value = spec.parse(values[0]!);
      if (value === undefined || (spec.key === 'limit' && (value as number) > maxLimit)) {
        errors.push({ pointer: `/${name}`, detail: spec.key === 'limit' ? `must be an integer from 1 to ${maxLimit}` : `must be ${spec.expect}` });
      } else out[spec.key] = value;
    }
  }
  if (errors.length === 0 && out.from !== undefined && out.to !== undefined && Date.parse(out.from as string) > Date.parse(out.to as string)) {
    errors.push({ pointer: '/from', detail: 'must not be later than to' });
  }
  if (errors.length > 0) throw new AppError('malformed_request', 'invalid query parameters', { errors });
  return out as unknown as EventQuery;
}

/** parseEventQuery() for a query string (`aggregate_id=…&limit=10`), as tools and tests write one. */
export function parseEventQueryString(qs: string, maxLimit = MAX_QUERY_LIMIT): EventQuery {
  const query: Record<string, string[]> = {};
  for (const [name, value] of new URLSearchParams(qs)) (query[name] ??= []).push(value);
  return parseEventQuery(query, maxLimit);
}
