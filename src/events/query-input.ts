import { z } from 'zod';
import { AppError } from '../errors.ts';
import { EVENT_TYPE_PATTERN, NAME_PATTERN, UUID_PATTERN } from './names.ts';
import { createQueryReader, type QueryReader } from './query-string.ts';
import { compareInstants, INSTANT_PATTERN, parseInstant } from './timestamp.ts';

/** Default largest `limit` (MAX_QUERY_LIMIT). */
export const MAX_QUERY_LIMIT = 1000;
export const DEFAULT_QUERY_LIMIT = 100;
export const MAX_QUERY_OFFSET = 100_000;

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
  /** Read-your-writes: never answer from a replica that has not replayed this far (SPEC §11). */
  minPosition?: number;
  /** 'hot': PostgreSQL only; default: every tier. */
  tier?: 'hot' | 'all';
}

export type EventFilters = Omit<EventQuery, 'limit' | 'offset' | 'order'>;

const matching = (pattern: RegExp, expect: string) => z.string({ error: `must be ${expect}` }).regex(pattern, `must be ${expect}`);
const integer = (min: number, max: number, message: string) =>
  z.number({ error: message }).int({ error: message, abort: true }).min(min, message).max(max, message);

/** A position in a query: an integer >= 0, named so in a refusal. */
export const positionParameter = () => integer(0, Number.MAX_SAFE_INTEGER, 'must be a position (integer >= 0)');

const INSTANT = 'an ISO 8601 instant, e.g. 2026-11-23T01:44:44.123456Z';
/** An instant in a query, as parseInstant() writes it; a date alone is midnight, no offset means UTC. */
export const instantParameter = (description: string) =>
  matching(INSTANT_PATTERN, INSTANT)
    .transform((v, ctx) => parseInstant(v) ?? (ctx.addIssue({ code: 'custom', message: `must be ${INSTANT}` }), z.NEVER))
    .describe(`${description}; a date alone is midnight, no offset means UTC`);

const correlationMessage = 'must be a non-empty string of at most 1024 characters';

const filterShape = {
  aggregate_type: matching(NAME_PATTERN, 'an aggregate type matching [a-z][a-z0-9_-]{0,63}').describe('exact match').optional(),
  aggregate_id: matching(UUID_PATTERN, 'a UUID').transform((v) => v.toLowerCase()).describe('exact match').optional(),
  event_type: matching(EVENT_TYPE_PATTERN, 'an event type <aggregate>.<verb>').describe('exact match').optional(),
  correlation_id: z
    .string({ error: correlationMessage })
    .min(1, { error: correlationMessage, abort: true })
    .max(1024, { error: correlationMessage, abort: true })
    .refine((v) => !v.includes('\0') && v.isWellFormed(), correlationMessage)
    .describe('exact match on metadata.correlation_id')
    .optional(),
  from: instantParameter('created_at from this instant, inclusive').optional(),
  to: instantParameter('created_at before this instant, exclusive').optional(),
  after: positionParameter()
    .describe('position cursor: events after it (before it with order=desc)')
    .optional(),
};

const inOrder = (q: { from?: unknown; to?: unknown }) =>
  typeof q.from !== 'string' || typeof q.to !== 'string' || compareInstants(q.from, q.to) <= 0;
const inOrderError = { path: ['from'], message: 'must not be later than to', when: (payload: z.core.ParsePayload) => payload.issues.length === 0 };

const FILTER_NAMES = Object.keys(filterShape).join(', ');

export const eventFilterSchema = z
  .strictObject(filterShape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown filter; known: ${FILTER_NAMES}` : 'must be an object with the filters of GET /events'),
  })
  .refine(inOrder, inOrderError);

const tier = z.enum(['hot', 'all'], { error: 'must be "hot" (PostgreSQL only) or "all"' }).optional().describe('hot: PostgreSQL only, leaving out archived events; all (default): every tier');

const minPosition = positionParameter()
  .describe('read-your-writes: answer only from a server that has this position (the X-Min-Position header does the same)')
  .optional();

export const eventFilterParameters = z.strictObject({ ...filterShape, min_position: minPosition, tier });

const queryParameters = new Map<number, ReturnType<typeof buildQueryParameters>>();
function buildQueryParameters(maxLimit: number) {
  return z.strictObject({
    ...filterShape,
    limit: integer(1, maxLimit, `must be an integer from 1 to ${maxLimit}`).default(DEFAULT_QUERY_LIMIT).describe('page size'),
    offset: integer(0, MAX_QUERY_OFFSET, `must be an integer from 0 to ${MAX_QUERY_OFFSET}`).default(0).describe('events to skip'),
    order: z.enum(['asc', 'desc'], { error: 'must be "asc" or "desc"' }).default('asc').describe('position order'),
    min_position: minPosition,
    tier,
  });
}

export function eventQueryParameters(maxLimit = MAX_QUERY_LIMIT) {
  let schema = queryParameters.get(maxLimit);
  if (!schema) queryParameters.set(maxLimit, (schema = buildQueryParameters(maxLimit)));
  return schema;
}

const inOrderAcross = (schema: z.ZodType<Record<string, unknown>>) => schema.refine(inOrder, inOrderError);
const queryReaders = new Map<number, QueryReader>();
const readFilters = createQueryReader(eventFilterParameters, inOrderAcross);

const camel: Record<string, keyof EventQuery> = {
  aggregate_type: 'aggregateType', aggregate_id: 'aggregateId', event_type: 'eventType', correlation_id: 'correlationId',
  from: 'from', to: 'to', after: 'after', limit: 'limit', offset: 'offset', order: 'order', min_position: 'minPosition', tier: 'tier',
};

export function toEventQuery<T extends EventFilters>(values: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) if (value !== undefined) out[camel[name]!] = value;
  return out as T;
}

/** Unknown or repeated parameters are refused, so a typo never silently widens a query to every event. */
export function parseEventQuery(query: Record<string, string[]>, maxLimit = MAX_QUERY_LIMIT): EventQuery {
  let read = queryReaders.get(maxLimit);
  if (!read) queryReaders.set(maxLimit, (read = createQueryReader(eventQueryParameters(maxLimit), inOrderAcross)));
  try {
    return toEventQuery<EventQuery>(read(query));
  } catch (error) {
    // A page larger than this service serves names its largest, so a client can page within it (as a 413 names limit_bytes).
    if (error instanceof AppError && Number(query.limit?.[0]) > maxLimit) error.extensions.limit_max = maxLimit;
    throw error;
  }
}

export function parseEventFilters(query: Record<string, string[]>): EventFilters {
  return toEventQuery(readFilters(query));
}

export function parseEventQueryString(qs: string, maxLimit = MAX_QUERY_LIMIT): EventQuery {
  const query: Record<string, string[]> = Object.create(null);
  for (const [name, value] of new URLSearchParams(qs)) (query[name] ??= []).push(value);
  return parseEventQuery(query, maxLimit);
}
