import { z } from 'zod';
import { AppError } from '../errors.ts';
import { fieldErrorsOf } from '../events/field-errors.ts';
import { NAME_PATTERN, UUID_PATTERN } from '../events/names.ts';

export const uuid = z.string().regex(UUID_PATTERN, 'must be a UUID').transform((v) => v.toLowerCase());
const name = z.string().regex(NAME_PATTERN, 'must match [a-z][a-z0-9_-]{0,63}');

export const eventPath = z.object({ id: uuid.describe('the event id') });
export const replayPath = z.object({ id: uuid.describe('the replay id') });
export const aggregatePath = z.object({ type: name.describe('the aggregate type'), id: uuid.describe('the aggregate id') });

/** Path parameters read by their schema; a 400 naming each bad one. */
export function readPath<S extends z.ZodObject>(schema: S, params: Record<string, string>, detail: string): z.output<S> {
  const parsed = schema.safeParse(params);
  if (!parsed.success) throw new AppError('malformed_request', detail, { errors: fieldErrorsOf(parsed.error) });
  return parsed.data;
}
