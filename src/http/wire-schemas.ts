import { z } from 'zod';

// The shapes the API answers with, as zod schemas: the OpenAPI document is generated from
// them (and from the request schemas in events/append-input.ts), and tests validate the
// documented examples against them.

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
  })
  .meta({ id: 'Event' });

export const pageSchema = z.strictObject({ events: z.array(storedEventSchema), next_after: z.number().int().nullable() }).meta({ id: 'EventPage' });
export const batchResultSchema = z.strictObject({ events: z.array(storedEventSchema) }).meta({ id: 'BatchResult' });

export const problemSchema = z
  .looseObject({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    request_id: z.string().optional(),
    errors: z.array(z.strictObject({ pointer: z.string(), detail: z.string() })).optional(),
    current_sequence: z.number().int().optional(),
  })
  .meta({ id: 'Problem' });

export const healthSchema = z
  .strictObject({
    status: z.enum(['ok', 'unavailable']),
    postgres: z.enum(['ok', 'unavailable']),
    redis: z.enum(['ok', 'unavailable']),
    head_position: z.number().int().nullable(),
    published_position: z.number().int(),
    publish_lag: z.number().int().nullable(),
    relay: z.string(),
  })
  .meta({ id: 'Health' });

export const readySchema = z
  .strictObject({ status: z.enum(['ready', 'not_ready']), postgres: z.string(), migrations: z.string(), redis: z.string() })
  .meta({ id: 'Ready' });

export const aggregateSchema = z
  .strictObject({ aggregate_type: z.string(), aggregate_id: uuid, sequence: z.number().int().min(1), state: z.unknown().optional() })
  .meta({ id: 'Aggregate' });

export const snapshotSchema = z
  .strictObject({
    aggregate_type: z.string(),
    aggregate_id: uuid,
    schema_version: z.number().int().min(1),
    sequence: z.number().int().min(1),
    state: z.unknown(),
    created_at: instant,
    stored: z.boolean().optional(),
  })
  .meta({ id: 'Snapshot' });

export const replayRequestSchema = z
  .strictObject({
    filter: z
      .strictObject({
        aggregate_type: z.string().optional(),
        aggregate_id: uuid.optional(),
        event_type: z.string().optional(),
        correlation_id: z.string().optional(),
        from: z.string().optional(),
        to: z.string().optional(),
        after: z.number().int().min(0).optional(),
      })
      .optional(),
    channel: z.string().regex(/^replay:[a-z0-9_-]{1,64}$/).optional(),
    dry_run: z.boolean().optional(),
  })
  .meta({ id: 'ReplayRequest' });

export const replayAcceptedSchema = z.strictObject({ id: uuid, channel: z.string().nullable(), status: z.literal('running') }).meta({ id: 'ReplayAccepted' });

export const replaySchema = z
  .strictObject({
    id: uuid,
    channel: z.string().nullable(),
    status: z.enum(['running', 'completed', 'failed', 'cancelled']),
    filter: z.record(z.string(), z.unknown()),
    up_to: z.number().int(),
    last_position: z.number().int(),
    published: z.number().int(),
    error: z.string().nullable(),
    created_at: instant,
    updated_at: instant,
  })
  .meta({ id: 'Replay' });

export const schemasListSchema = z
  .strictObject({ schemas: z.array(z.strictObject({ event_type: z.string(), version: z.number().int(), schema: z.unknown() })) })
  .meta({ id: 'EventTypeSchemas' });
