import type { EventQuery } from '../events/query-input.ts';

export interface Statement {
  text: string;
  params: (string | number)[];
}

// Limits inlined into statement text, at most this many distinct ones per process, so a client
// cycling through limits cannot make every connection prepare a statement per value.
const MAX_LITERAL_LIMITS = 8;
const literalLimits = new Set<number>();
function admitLiteralLimit(n: number): boolean {
  if (!literalLimits.has(n) && literalLimits.size < MAX_LITERAL_LIMITS && Number.isSafeInteger(n)) literalLimits.add(n);
  return literalLimits.has(n);
}

// GET /events' SQL: limit + 1 rows in position (commit) order, so paging never skips a row. The
// limit is inlined where one plan suits every value (PostgreSQL costs a parameter LIMIT at a tenth
// of the rows); a type filter alone stays a parameter, planned per value.
// `numbered`: each row's place in the order as column n.
export function eventQuery(q: EventQuery, numbered = false): Statement {
  const params: (string | number)[] = [];
  const param = (value: string | number) => `$${params.push(value)}`;
  const where = filterConditions(q, param);
  if (q.after !== undefined) where.push(`e.position ${q.order === 'asc' ? '>' : '<'} ${param(q.after)}`);

  const planDependsOnValues = !q.aggregateId && !q.correlationId && Boolean(q.aggregateType || q.eventType);
  const fetch = q.limit + 1;
  const page = !planDependsOnValues && admitLiteralLimit(fetch)
    ? `limit ${rowCountLiteral(fetch)}${q.offset > 0 ? ` offset ${param(q.offset)}` : ''}`
    : `limit ${param(fetch)} offset ${param(q.offset)}`;
  const dir = q.order === 'asc' ? 'asc' : 'desc';
  const text = `select event_json(e) as json, e.position${numbered ? `, row_number() over (order by e.position ${dir}) as n` : ''} from events e
    where ${where.length === 0 ? 'true' : where.join(' and ')}
    order by e.position ${dir}
    ${page}`;
  return { text, params };
}

/** The default byte budget of a page of events (MAX_PAGE_BYTES); a page passes it by one event at most. */
export const MAX_PAGE_BYTES = 4 * 1024 * 1024;

export interface PageBytes {
  /** The page ends with the event that takes its JSON to this many bytes; it always holds the first. */
  maxBytes: number;
  /** Leading rows that do not count (a tiered read's offset, applied after merging). */
  skip?: number;
}

// A page read that stops at a size: eventQuery()'s rows while the bytes before each stay under
// the budget. PostgreSQL builds and measures the JSON of every row the LIMIT reads; only the page
// reaches the service, at most one event over the budget (see pageRows).
export function pagedQuery(q: EventQuery, { maxBytes, skip = 0 }: PageBytes): Statement {
  const { text, params } = eventQuery(q, skip > 0);
  const counted = skip > 0 ? `sum(octet_length(json)) filter (where n > $${params.push(skip)})` : 'sum(octet_length(json))';
  return { text: withinBytes(text, q.order === 'asc' ? 'asc' : 'desc', maxBytes, counted), params };
}

/** `rows` (a statement giving json and position, in position order `dir`) while the JSON before each row, as `counted`, stays under maxBytes. */
function withinBytes(rows: string, dir: 'asc' | 'desc', maxBytes: number, counted = 'sum(octet_length(json))'): string {
  return `select json, position from (
      select json, position, ${counted} over (order by position ${dir} rows between unbounded preceding and 1 preceding) as before
      from (${rows}) r) b
    where coalesce(before, 0) < ${rowCountLiteral(maxBytes)}
    order by position ${dir}`;
}

/**
 * An aggregate's events in PostgreSQL after a sequence: limit + 1 of them in position order, within
 * maxBytes as pagedQuery()'s. `afterPosition`, if known, saves finding where the sequence is.
 */
export function aggregateQuery(type: string, id: string, afterSequence: number, limit: number, maxBytes: number, afterPosition?: number): Statement {
  const params: (string | number)[] = [];
  const param = (value: string | number) => `$${params.push(value)}`;
  const [t, a, s] = [param(type), param(id), param(afterSequence)];
  // Within an aggregate, events in PostgreSQL are a gapless run ending at last_sequence, so the
  // position at a sequence is the (last - sequence + 1)-th from the end.
  const floor = afterPosition !== undefined ? param(afterPosition) : afterSequence === 0 ? '0' : `coalesce((
    select min(s.position) - 1 from (
      select s.position from events s where s.aggregate_id = ${a} and s.aggregate_type = ${t}
      order by s.position desc
      limit greatest((select x.last_sequence from aggregates x where x.aggregate_id = ${a} and x.aggregate_type = ${t}) - ${s}, 0)
    ) s), 9223372036854775806)`;
  const rows = `select event_json(e) as json, e.position from events e
    where e.aggregate_id = ${a} and e.aggregate_type = ${t} and e.sequence > ${s} and e.position > ${floor}
    order by e.position limit ${param(limit + 1)}`;
  return { text: withinBytes(rows, 'asc', maxBytes), params };
}

export function filterConditions(q: Omit<EventQuery, 'after' | 'limit' | 'offset' | 'order'>, param: (value: string | number) => string): string[] {
  const where: string[] = [];
  if (q.aggregateType) where.push(`e.aggregate_type = ${param(q.aggregateType)}`);
  if (q.aggregateId) where.push(`e.aggregate_id = ${param(q.aggregateId)}`);
  if (q.eventType) where.push(`e.event_type = ${param(q.eventType)}`);
  if (q.correlationId) where.push(`(e.metadata ->> 'correlation_id') = ${param(q.correlationId)}`);
  // created_at never decreases along position, so [from, to) on created_at is a position range:
  // one index probe per bound, and the position order serves LIMIT without a sort.
  if (q.from) where.push(`e.position >= ${firstPositionFrom(param(q.from))}`);
  if (q.to) where.push(`e.position < ${firstPositionFrom(param(q.to))}`);
  return where;
}

/** A row count written into SQL text; only a safe non-negative integer gets in. */
export function rowCountLiteral(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new TypeError(`a row count must be a non-negative integer, got ${n}`);
  return String(n);
}

// The instant goes as text: postgres.js passes a timestamptz parameter through Date, dropping the
// microseconds and failing outside years 1–9999 in UTC.
function firstPositionFrom(instant: string): string {
  return `coalesce((select s.position from events s where s.created_at >= ${instant}::text::timestamptz
    order by s.created_at, s.position limit 1), 9223372036854775807)`;
}

/**
 * pagedQuery()'s rows (or a merge of them) as a page: up to `limit` rows, ending with the one that
 * takes the page to `maxBytes`. More may follow when rows are left over or the budget was reached.
 */
export function pageRows<T>(rows: T[], limit: number, maxBytes: number, size: (row: T) => number): { page: T[]; more: boolean } {
  let n = 0, bytes = 0;
  while (n < rows.length && n < limit && bytes < maxBytes) bytes += size(rows[n++]!);
  return { page: rows.slice(0, n), more: rows.length > n || bytes >= maxBytes };
}
