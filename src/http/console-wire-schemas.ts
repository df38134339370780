import { z } from 'zod';
import { replaySchema } from './wire-schemas.ts';

const bucketStart = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00Z$/);
const instant = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
const counts = z.record(z.string(), z.number().int().min(1));

export const statsSchema = z
  .strictObject({
    bucket: z.enum(['minute', 'hour', 'day']),
    from: bucketStart.describe('the range start, aligned down to a bucket (UTC), inclusive'),
    to: bucketStart.describe('the range end, aligned up to a bucket boundary (UTC), exclusive'),
    aggregate_type: z.string().optional(),
    event_type: z.string().optional(),
    up_to: z.number().int().min(0).describe('every event at or below this position is counted, none above it'),
    buckets: z.array(z.strictObject({ start: bucketStart, counts: counts.describe('events per event type') })).describe('buckets with events only, oldest first'),
    totals: counts.describe('events per event type over the range'),
  });

export const authKeySchema = z
  .strictObject({
    auth: z.enum(['open', 'key']).describe('open: no key is needed, every request may do everything'),
    label: z.string().nullable().describe('the key\'s label (key1, key2, … in API_KEYS order); never the secret'),
    scopes: z.array(z.enum(['read', 'write', 'admin'])),
  });

export const replayPreviewSchema = z
  .strictObject({
    dry_run: z.literal(true),
    events: z.number().int().min(0).describe('events the replay would publish now'),
    up_to: z.number().int().min(0).describe('the head position it would read up to'),
    channel: z.string().nullable(),
    filter: z.record(z.string(), z.unknown()),
  });

export const replayListSchema = z.strictObject({ replays: z.array(replaySchema) });

export const savedQuerySchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/),
    filter: z.record(z.string(), z.union([z.string(), z.number()])),
    created_at: instant,
    updated_at: instant,
  });

export const savedQueryListSchema = z.strictObject({ saved_queries: z.array(savedQuerySchema) });
