import { z } from 'zod';
import { AppError, type FieldError, toPointer, validationFailed } from '../errors.ts';
import { NAME_PATTERN } from '../events/names.ts';
import { durationSeconds, parseDuration } from './duration.ts';

const DURATION_HINT = 'must be an ISO 8601 duration of whole numbers such as P30D, PT12H, P1Y6M or PT0S (at most 10,000 years), or null for never';

const duration = z
  .string({ error: DURATION_HINT })
  .refine((v) => parseDuration(v) !== null, DURATION_HINT)
  .nullable()
  .default(null)
  .meta({ description: 'ISO 8601 duration on created_at (PT0S: at once); null: never', examples: ['P30D'] });

/** PUT /retention/{aggregate_type}: both durations optional (null = never), unknown fields refused. */
export const retentionPolicyBody = z
  .strictObject({ archive_after: duration, delete_after: duration })
  .superRefine((b, ctx) => {
    const archive = b.archive_after === null ? null : parseDuration(b.archive_after);
    const remove = b.delete_after === null ? null : parseDuration(b.delete_after);
    if (archive && remove && durationSeconds(remove) < durationSeconds(archive)) {
      ctx.addIssue({ code: 'custom', path: ['delete_after'], message: `must not be shorter than archive_after (${b.archive_after}); months count 30 days, years 12 months` });
    }
  });

export type RetentionPolicyInput = z.output<typeof retentionPolicyBody>;

export function parsePolicyBody(body: unknown): RetentionPolicyInput {
  const parsed = retentionPolicyBody.safeParse(body);
  if (parsed.success) return parsed.data;
  const errors: FieldError[] = [];
  for (const issue of parsed.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) errors.push({ pointer: toPointer([...issue.path, key]), detail: 'unknown field; known: archive_after, delete_after' });
    } else errors.push({ pointer: toPointer(issue.path), detail: issue.path.length === 0 ? 'must be a JSON object' : issue.message });
  }
  throw validationFailed(errors, 'the retention policy breaks a rule');
}

/** An aggregate type from a path: 400 unless it is a valid name. */
export function aggregateTypeParam(value: string): string {
  if (!NAME_PATTERN.test(value)) {
    throw new AppError('malformed_request', 'the aggregate type is not a valid name', { errors: [{ pointer: '/aggregate_type', detail: 'must match [a-z][a-z0-9_-]{0,63}' }] });
  }
  return value;
}
