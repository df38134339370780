import { z } from 'zod';

const nullableString = z.string().nullable();
export const retentionPolicySchema = z
  .strictObject({ aggregate_type: z.string(), archive_after: nullableString, delete_after: nullableString, updated_at: nullableString });
export const retentionPoliciesSchema = z.strictObject({ policies: z.array(retentionPolicySchema) });
export const retentionTiersSchema = retentionPolicySchema
  .extend({
    tiers: z.strictObject({
      hot: z.strictObject({ events: z.number().int(), bytes: z.number().int().nullable(), bytes_estimated: z.literal(true) }),
      archive: z.strictObject({ events: z.number().int(), bytes: z.number().int(), segments: z.number().int() }),
      deleted: z.strictObject({ events: z.number().int() }),
    }),
  });
const typePreview = z.strictObject({
  aggregate_type: z.string(), archive_after: nullableString, delete_after: nullableString,
  archive: z.strictObject({ events: z.number().int(), segments: z.number().int() }),
  delete: z.strictObject({ hot_events: z.number().int(), archived_events: z.number().int(), segments: z.number().int() }),
});
export const archiveRunSchema = z
  .strictObject({
    id: z.string(), status: z.enum(['running', 'succeeded', 'failed']), dry_run: z.boolean(), trigger: z.enum(['schedule', 'request']),
    archived: z.number().int(), deleted: z.number().int(), segments: z.number().int(), bytes: z.number().int(),
    planned: z.number().int().nullable(), plan: z.array(typePreview).nullable(), error: nullableString,
    started_at: z.string(), updated_at: z.string(), finished_at: nullableString,
  });
export const archiveRunsSchema = z.strictObject({ runs: z.array(archiveRunSchema) });
export const archiveSegmentsSchema = z
  .strictObject({
    segments: z.array(z.strictObject({
      id: z.number().int(), aggregate_type: z.string(), from_position: z.number().int(), to_position: z.number().int(),
      first_created_at: z.string(), last_created_at: z.string(), events: z.number().int(), bytes: z.number().int(),
      sha256: z.string(), key: z.string(), run_id: z.string(), created_at: z.string(),
    })),
    next_after: z.number().int().nullable(),
  });

