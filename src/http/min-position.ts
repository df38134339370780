import type { Context } from 'hono';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import { positionParameter } from '../events/query-input.ts';
import { createQueryReader } from '../events/query-string.ts';

const position = positionParameter();
const POSITION = /^(0|[1-9]\d{0,15})$/;
const HEADER = 'read-your-writes: answer only from a server that has replayed this position';

/** The query of a read whose only parameter is min_position (GET /events/{id}, GET /aggregates/{type}/{id}). */
export const minPositionQuery = z.strictObject({
  min_position: position.optional().describe(`${HEADER} (the X-Min-Position header does the same)`),
});
export const eventByIdQuery = minPositionQuery.extend({
  tier: z.enum(['hot', 'all'], { error: 'must be "hot" (PostgreSQL only) or "all"' }).optional().describe('hot: PostgreSQL only; all (default): every tier'),
});
const readEventByIdQueryOf = createQueryReader(eventByIdQuery);
export const readEventByIdQuery = (query: Record<string, string[]>) => readEventByIdQueryOf(query);

export const minPositionHeader = { 'X-Min-Position': position.describe(HEADER) };

/** The position a read must reflect: the larger of `min_position` and X-Min-Position; undefined lets a lagging replica answer. */
export function readFloor(c: Context, fromQuery: number | undefined): number | undefined {
  const raw = c.req.header('x-min-position')?.trim();
  if (raw === undefined) return fromQuery;
  if (!POSITION.test(raw) || Number(raw) > Number.MAX_SAFE_INTEGER) {
    throw new AppError('malformed_request', 'X-Min-Position must be a position', { errors: [{ pointer: '/X-Min-Position', detail: 'must be an integer >= 0' }] });
  }
  return fromQuery === undefined ? Number(raw) : Math.max(Number(raw), fromQuery);
}
