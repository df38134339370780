import { z } from 'zod';
import { createQueryReader } from '../events/query-string.ts';
import { minPositionQuery } from './min-position.ts';

/** GET /aggregates/{type}/{id}'s query: `at_sequence` (the state after that event) and min_position. */
export const aggregateQuerySchema = minPositionQuery.extend({
  at_sequence: z
    .number({ error: 'must be an integer >= 1' })
    .int({ error: 'must be an integer >= 1', abort: true })
    .min(1, 'must be an integer >= 1')
    .max(Number.MAX_SAFE_INTEGER, 'must be an integer >= 1')
    .optional()
    .describe('the state after this event (1 to the current sequence); 404 with current_sequence past it'),
});

export const readAggregateQuery = createQueryReader(aggregateQuerySchema);
