import { z } from 'zod';
import { parseQuery } from './query-errors.ts';

/** GET /aggregates/{type}/{id}'s query: `at_sequence`, the state after that event. */
export const aggregateQuerySchema = z.strictObject({
  at_sequence: z
    .string()
    .regex(/^[1-9]\d{0,15}$/, 'must be an integer >= 1')
    .transform(Number)
    .refine(Number.isSafeInteger, 'must be an integer >= 1')
    .optional(),
});

/** `at_sequence`, or undefined for the current state; 400 for anything else in the query. */
export function parseAggregateQuery(query: Record<string, string[]>): number | undefined {
  return parseQuery(aggregateQuerySchema, query, ['at_sequence']).at_sequence;
}
