import { z } from 'zod';

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
const instant = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);

export const storedEventSchema = z
  .strictObject({
    id: uuid,
    event_type: z.string(),
    aggregate_type: z.string(),
    aggregate_id: uuid,
    sequence: z.number().int().min(1),
    position: z.number().int().min(1),
    payload: z.record(z.string(), z.unknown()),
    metadata: z.record(z.string(), z.unknown()),
    version: z.number().int().min(1),
    created_at: instant,
  });

export const pageSchema = z.strictObject({ events: z.array(storedEventSchema), next_after: z.number().int().nullable() });
export const batchResultSchema = z.strictObject({ events: z.array(storedEventSchema) });

export const problemSchema = z
  .looseObject({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    request_id: z.string().optional(),
    errors: z.array(z.strictObject({ pointer: z.string(), detail: z.string() })).optional().describe('each field or parameter at fault, by JSON Pointer'),
    current_sequence: z.number().int().optional().describe('409 sequence conflict: the aggregate\'s sequence now; in a batch, at the refused item, the batch\'s earlier events of it counted'),
    expected_sequence: z.number().int().optional(),
    aggregate_type: z.string().optional(),
    aggregate_id: z.string().optional(),
    id: z.string().optional().describe('409 id conflict: the reused event id'),
    index: z.number().int().optional().describe('in a batch: the item at fault'),
    limit_bytes: z.number().int().optional().describe('413: the body limit'),
    limit_events: z.number().int().optional().describe('422 for a batch of too many events: the most it may hold (MAX_BATCH_EVENTS)'),
    limit_max: z.number().int().optional().describe('400 for a query limit over MAX_QUERY_LIMIT: the largest page this service serves'),
    accepted: z.array(z.string()).optional().describe('415: the media types accepted'),
    required_scope: z.string().optional().describe('403: the scope the operation needs'),
  });

export const healthSchema = z
  .strictObject({
    status: z.enum(['ok', 'unavailable']),
    postgres: z.enum(['ok', 'unavailable']),
    redis: z.enum(['ok', 'unavailable']),
    head_position: z.number().int().nullable(),
    published_position: z.number().int(),
    publish_lag: z.number().int().nullable(),
    relay: z.string(),
    replica: z.enum(['ok', 'unavailable']).optional(),
    archive: z
      .strictObject({
        storage: z.enum(['ok', 'failing', 'unknown']),
        storage_error: z.string().nullable(),
        last_run: z
          .strictObject({ id: z.string(), status: z.enum(['running', 'succeeded', 'failed']), dry_run: z.boolean(), started_at: z.string(), finished_at: z.string().nullable(), error: z.string().nullable() })
          .nullable(),
      })
      .nullable()
      .optional(),
  });

export const readySchema = z
  .strictObject({ status: z.enum(['ready', 'not_ready']), postgres: z.string(), replica: z.enum(['ok', 'unavailable']).optional(), migrations: z.string(), redis: z.string() });

export const aggregateSchema = z
  .strictObject({ aggregate_type: z.string(), aggregate_id: uuid, sequence: z.number().int().min(1), state: z.unknown().optional() });

export const snapshotSchema = z
  .strictObject({
    aggregate_type: z.string(),
    aggregate_id: uuid,
    schema_version: z.number().int().min(1),
    sequence: z.number().int().min(1),
    state: z.unknown(),
    created_at: instant,
    stored: z.boolean().optional(),
  });

const replayStatus = z.enum(['running', 'completed', 'failed', 'cancelled']);

// A short replay can be over by the time POST /replays answers.
export const replayAcceptedSchema = z.strictObject({ id: uuid, channel: z.string().nullable(), status: replayStatus });

// The filters POST /replays took, in the names of GET /events (from and to in UTC).
const replayFilterSchema = z.strictObject({
  aggregate_type: z.string().optional(), aggregate_id: uuid.optional(), event_type: z.string().optional(), correlation_id: z.string().optional(),
  from: z.string().optional(), to: z.string().optional(), after: z.number().int().optional(),
});

export const replaySchema = z
  .strictObject({
    id: uuid,
    channel: z.string().nullable(),
    status: replayStatus,
    filter: replayFilterSchema,
    up_to: z.number().int(),
    last_position: z.number().int(),
    published: z.number().int(),
    error: z.string().nullable(),
    created_at: instant,
    updated_at: instant,
  });

export const schemasListSchema = z
  .strictObject({ schemas: z.array(z.strictObject({ event_type: z.string(), version: z.number().int(), schema: z.unknown() })) });
