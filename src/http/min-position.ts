import type { Context } from 'hono';
import { AppError } from '../errors.ts';

const POSITION = /^(0|[1-9]\d{0,15})$/;

function parse(value: string | undefined, pointer: string): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (!POSITION.test(v) || Number(v) > Number.MAX_SAFE_INTEGER) {
    throw new AppError('malformed_request', `${pointer.slice(1)} must be a position`, { errors: [{ pointer, detail: 'must be an integer >= 0' }] });
  }
  return Number(v);
}

/** The `min_position` query parameter of a route whose own parser does not take it. */
export function minPositionParam(c: Context): number | undefined {
  const values = c.req.queries('min_position');
  if (values && values.length > 1) {
    throw new AppError('malformed_request', 'invalid query parameters', { errors: [{ pointer: '/min_position', detail: 'given more than once' }] });
  }
  return parse(values?.[0], '/min_position');
}

/**
 * The position a read must reflect (read-your-writes, SPEC §11): `min_position` from the query
 * (`fromQuery`) or the X-Min-Position header, the larger when both are given, as each is a
 * lower bound. Undefined without either: the read may come from a replica that lags.
 */
export function readFloor(c: Context, fromQuery: number | undefined): number | undefined {
  const header = parse(c.req.header('x-min-position'), '/X-Min-Position');
  if (header === undefined) return fromQuery;
  return fromQuery === undefined ? header : Math.max(header, fromQuery);
}
