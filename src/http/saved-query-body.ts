import { z } from 'zod';
import { AppError, type FieldError, toPointer, validationFailed } from '../errors.ts';
import { parseEventQuery } from '../events/query-input.ts';

/** The GET /events parameters a saved query may hold (not the cursor `after`, nor `offset`). */
export const SAVED_FILTER_KEYS = ['aggregate_type', 'aggregate_id', 'event_type', 'correlation_id', 'from', 'to', 'order', 'limit'] as const;
export const SAVED_QUERY_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export const savedQueryBody = z
  .strictObject({ filter: z.partialRecord(z.enum(SAVED_FILTER_KEYS), z.union([z.string(), z.number()])) });

export function parseSavedQueryName(name: string): string {
  if (!SAVED_QUERY_NAME.test(name)) {
    throw new AppError('malformed_request', 'invalid saved query name', { errors: [{ pointer: '/name', detail: 'must match [a-z0-9][a-z0-9_-]{0,63}' }] });
  }
  return name;
}

export function parseSavedQueryBody(body: unknown): Record<string, string | number> {
  const parsed = savedQueryBody.safeParse(body);
  if (!parsed.success) throw validationFailed(parsed.error.issues.flatMap((i): FieldError[] =>
    i.code === 'unrecognized_keys' ? i.keys.map((k) => ({ pointer: toPointer([...i.path, k]), detail: `unknown field; known: ${i.path.length ? SAVED_FILTER_KEYS.join(', ') : 'filter'}` })) : [{ pointer: toPointer(i.path), detail: i.message }]));
  const filter = parsed.data.filter as Record<string, string | number>;
  try {
    parseEventQuery(Object.fromEntries(Object.entries(filter).map(([k, v]) => [k, [String(v)]])));
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    throw validationFailed(((error.extensions.errors as FieldError[]) ?? []).map((e) => ({ pointer: `/filter${e.pointer}`, detail: e.detail })));
  }
  return filter;
}
