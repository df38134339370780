import { z } from 'zod';
import { type FieldError, toPointer, validationFailed } from '../errors.ts';
import type { NewEvent } from './event.ts';
import { uuidv7 } from './uuid.ts';
import { aggregateTypeOf, EVENT_TYPE_PATTERN, NAME_PATTERN, NIL_UUID, UUID_PATTERN } from './names.ts';

/** Default most events per POST /events/batch (MAX_BATCH_EVENTS). */
export const MAX_BATCH_EVENTS = 1000;

/** metadata.correlation_id is indexed as text: it must fit a btree entry (2,704 bytes), and queries take up to 1024 characters. */
export const MAX_CORRELATION_ID_BYTES = 1024;

// The text PostgreSQL indexes (metadata ->> 'correlation_id'): a string as it is, any other value as JSON.
function correlationIdBytes(value: unknown): number {
  return Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value));
}

// A missing field is named as such (zod's own message reads "expected string, received undefined").
const text = () => z.string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') });

const uuid = (what: string) =>
  text()
    .regex(UUID_PATTERN, `must be a UUID (8-4-4-4-12 hex digits)`)
    .refine((s) => s !== NIL_UUID, `the nil UUID is not a valid ${what}`);

// Checked without copying: zod's record/object parsers rebuild objects and drop "__proto__".
const jsonObject = z
  .custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'must be a JSON object')
  .meta({ type: 'object', additionalProperties: {}, description: 'any JSON object (default {})' });

export const eventInput = z
  .strictObject({
    id: uuid('event id').optional(),
    event_type: text()
      .regex(EVENT_TYPE_PATTERN, 'must be <aggregate>.<verb>, each part matching [a-z][a-z0-9_-]{0,63}'),
    aggregate_type: z.string().regex(NAME_PATTERN, 'must match [a-z][a-z0-9_-]{0,63}').optional(),
    aggregate_id: uuid('aggregate id'),
    payload: jsonObject.optional(),
    metadata: jsonObject.optional(),
    version: z.number().int('must be an integer').min(1).max(2_147_483_647).optional(),
    expected_sequence: z.number().int('must be an integer').min(0).max(Number.MAX_SAFE_INTEGER).nullish(),
  })
  .superRefine((e, ctx) => {
    const correlationId = e.metadata?.correlation_id;
    if (correlationId !== undefined && correlationId !== null && correlationIdBytes(correlationId) > MAX_CORRELATION_ID_BYTES) {
      ctx.addIssue({ code: 'custom', path: ['metadata', 'correlation_id'], message: `must be at most ${MAX_CORRELATION_ID_BYTES} bytes of text (UTF-8)` });
    }
    if (e.aggregate_type !== undefined && EVENT_TYPE_PATTERN.test(e.event_type)) {
      const prefix = aggregateTypeOf(e.event_type);
      if (prefix !== e.aggregate_type) {
        ctx.addIssue({
          code: 'custom',
          path: ['aggregate_type'],
          message: `must equal the part of event_type before the dot ("${prefix}")`,
        });
      }
    }
  });

const batchInputs = new Map<number, z.ZodType<{ events: EventInput[] }>>();
export const batchInput = (max: number) => {
  let schema = batchInputs.get(max);
  if (!schema) {
    schema = z.strictObject({ events: z.array(eventInput).min(1, 'must hold at least one event').max(max, `must hold at most ${max} events`) });
    batchInputs.set(max, schema);
  }
  return schema;
};

type EventInput = z.infer<typeof eventInput>;

function toNewEvent(e: EventInput): NewEvent {
  return {
    id: (e.id ?? uuidv7()).toLowerCase(),
    eventType: e.event_type,
    aggregateType: aggregateTypeOf(e.event_type),
    aggregateId: e.aggregate_id.toLowerCase(),
    payload: e.payload ?? {},
    metadata: e.metadata ?? {},
    version: e.version ?? 1,
    expectedSequence: e.expected_sequence ?? null,
  };
}

function issuesOf(error: z.ZodError): FieldError[] {
  return error.issues.map((i) => ({ pointer: toPointer(i.path), detail: i.message }));
}

/** Validates the body of POST /events. Throws a 422 AppError naming each bad field. */
export function parseAppendBody(body: unknown): NewEvent {
  const r = eventInput.safeParse(body);
  if (!r.success) throw validationFailed(issuesOf(r.error));
  return toNewEvent(r.data);
}

/**
 * Validates the body of POST /events/batch. Throws a 422 AppError naming each bad field; one for a
 * batch of more than `maxEvents` names that limit (`limit_events`), so a client can send it in parts.
 */
export function parseBatchBody(body: unknown, maxEvents = MAX_BATCH_EVENTS): NewEvent[] {
  const r = batchInput(maxEvents).safeParse(body);
  if (!r.success) {
    const items = (body as { events?: unknown } | null)?.events;
    const over = Array.isArray(items) && items.length > maxEvents;
    throw validationFailed(issuesOf(r.error), undefined, over ? { limit_events: maxEvents } : {});
  }
  const events = r.data.events.map(toNewEvent);
  const seen = new Map<string, number>();
  const errors: FieldError[] = [];
  events.forEach((e, i) => {
    const first = seen.get(e.id);
    if (first !== undefined) errors.push({ pointer: `/events/${i}/id`, detail: `repeats the id of /events/${first}` });
    else seen.set(e.id, i);
  });
  if (errors.length > 0) throw validationFailed(errors);
  return events;
}

