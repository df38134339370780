import { z } from 'zod';
import type { ReplayState } from '../publishing/replay-records.ts';
import { parseQuery } from './query-errors.ts';

export const REPLAY_LIST_DEFAULT = 20;
export const REPLAY_LIST_MAX = 100; // the limit's pattern spells it

export const replayListQuerySchema = z.strictObject({
  status: z.enum(['running', 'completed', 'failed', 'cancelled'], 'must be running, completed, failed or cancelled').optional(),
  limit: z
    .string()
    .regex(/^(?:[1-9]\d?|100)$/, `must be an integer from 1 to ${REPLAY_LIST_MAX}`)
    .transform(Number)
    .default(REPLAY_LIST_DEFAULT),
});

export function parseReplayListQuery(query: Record<string, string[]>): { status?: ReplayState; limit: number } {
  const q = parseQuery(replayListQuerySchema, query, ['status', 'limit']);
  return q.status ? { status: q.status, limit: q.limit } : { limit: q.limit };
}
