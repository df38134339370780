import { z } from 'zod';

// The shapes of /consumer-groups, registered for the OpenAPI document like wire-schemas.ts.

export const ENTRY_ID = /^\d{1,20}-\d{1,20}$/;

export const consumerGroupsSchema = z
  .strictObject({
    groups: z.array(
      z.strictObject({
        aggregate_type: z.string(),
        stream: z.string(),
        group: z.string(),
        consumers: z.number().int().min(0),
        pending: z.number().int().min(0),
        lag: z.number().int().min(0),
        oldest_pending_seconds: z.number().min(0).nullable(),
        parked: z.number().int().min(0),
        last_delivered_position: z.number().int().min(0),
      }),
    ),
  })
  .meta({ id: 'ConsumerGroups' });

export const parkedPageSchema = z
  .strictObject({
    parked: z.array(
      z.strictObject({
        id: z.string().regex(ENTRY_ID),
        event: z.record(z.string(), z.unknown()),
        error: z.string(),
        attempts: z.number().int().min(0),
        consumer: z.string(),
        source: z.string(),
        parked_at: z.string(),
      }),
    ),
    next_after: z.string().nullable(),
  })
  .meta({ id: 'ParkedEvents' });

export const parkedReplayRequestSchema = z
  .strictObject({
    ids: z.array(z.string().regex(ENTRY_ID, 'must be an entry id <ms>-<n>')).min(1).max(1000).optional(),
    limit: z.number().int().min(1).max(10_000).optional(),
  })
  .meta({ id: 'ParkedReplayRequest' });

export const parkedReplayResultSchema = z.strictObject({ replayed: z.number().int().min(0), ids: z.array(z.string()) }).meta({ id: 'ParkedReplayResult' });
