import { z } from 'zod';
import { NAME_PATTERN } from '../events/names.ts';
import { GROUP_NAME_PATTERN } from '../events/stream-keys.ts';

export const ENTRY_ID = /^\d{1,20}-\d{1,20}$/;
const MAX_ID_PART = 2n ** 64n - 1n;
/** `<ms>-<n>`, each part a 64-bit unsigned integer, as Redis reads stream entry ids. */
const entryId = z
  .string()
  .regex(ENTRY_ID, { error: 'must be an entry id <ms>-<n>', abort: true })
  .refine((id) => id.split('-').every((part) => BigInt(part) <= MAX_ID_PART), 'must be an entry id <ms>-<n>, each part at most 2^64 - 1');
const aggregateType = z.string().regex(NAME_PATTERN, 'must match [a-z][a-z0-9_-]{0,63}');

export const consumerGroupPath = z.object({
  aggregate_type: aggregateType.describe("the stream's aggregate type"),
  group: z.string().regex(GROUP_NAME_PATTERN, `must match ${GROUP_NAME_PATTERN.source}`).describe('the consumer group'),
});
export const consumerGroupsQuery = z.strictObject({ aggregate_type: aggregateType.optional().describe("only this type's stream") });
export const parkedQuery = z.strictObject({
  after: entryId.optional().describe('entry id cursor: next_after of the previous page'),
  limit: z.number().int().min(1).max(1000).default(100).describe('1 to 1000, default 100'),
});

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
  });

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
  });

/** Which parked events a replay or a discard takes: the given ids, or the oldest `limit` (default 1000). */
export const parkedSelectionSchema = z
  .strictObject({
    ids: z.array(entryId).min(1).max(1000).optional(),
    limit: z.number().int().min(1).max(10_000).optional(),
  });

export const parkedReplayResultSchema = z.strictObject({ replayed: z.number().int().min(0), ids: z.array(z.string()) });
export const parkedDiscardResultSchema = z.strictObject({ discarded: z.number().int().min(0), ids: z.array(z.string()) });
