import { AppError } from '../errors.ts';
import type { NewEvent } from '../events/event.ts';
import type { EventQuery } from '../events/query-input.ts';
import type { Sql } from '../postgres/database.ts';

/** A stored event as the store hands it out: its canonical JSON (see event_json()) plus keys. */
export interface EventRecord {
  position: number;
  aggregateType: string;
  json: string;
}

/** What one append request (a single event or a batch) came to. */
export type AppendOutcome =
  | { ok: true; events: (EventRecord & { created: boolean })[] }
  | { ok: false; error: AppError };

interface AppendRow {
  r_idx: number;
  r_status: 'created' | 'duplicate' | 'conflict' | 'id_conflict' | 'skipped';
  r_current_sequence: string | null;
  r_event: string | null;
}

// The JSON text carries position and aggregate_type; reading them back avoids a second parse.
// Both come before payload and metadata in event_json(), so the first match is the event's own.
const POSITION = /"position":(\d+)/;
const AGGREGATE_TYPE = /"aggregate_type":"([^"]+)"/;
/** The position of an event given as its canonical JSON (event_json()). */
export function positionOf(json: string): number {
  return Number(POSITION.exec(json)![1]);
}
/** An event given as its canonical JSON, with the keys publishing needs. */
export function eventRecord(json: string, aggregateType = AGGREGATE_TYPE.exec(json)![1]!): EventRecord {
  return { json, aggregateType, position: positionOf(json) };
}

/**
 * Appends the events of several requests in one transaction (see append_events() in
 * drizzle/0001_append_function.sql for the concurrency contract). Each request is all or
 * nothing and gets its own outcome. Ids must be unique across all requests.
 */
export async function appendRequests(sql: Sql, requests: NewEvent[][]): Promise<AppendOutcome[]> {
  const items: unknown[] = [];
  requests.forEach((events, grp) => {
    for (const e of events) {
      items.push({
        idx: items.length, grp, id: e.id, event_type: e.eventType, aggregate_type: e.aggregateType,
        aggregate_id: e.aggregateId, payload: e.payload, metadata: e.metadata, version: e.version,
        expected_sequence: e.expectedSequence,
      });
    }
  });
  // Sent as text and cast in SQL: the driver's own jsonb serialiser would encode it twice.
  const rows = await sql<AppendRow[]>`
    select r_idx, r_status, r_current_sequence, r_event from append_events(${JSON.stringify(items)}::text::jsonb)`;

  let offset = 0;
  return requests.map((events) => {
    const mine = rows.slice(offset, offset + events.length);
    offset += events.length;
    const failed = mine.findIndex((r) => r.r_status === 'conflict' || r.r_status === 'id_conflict');
    if (failed >= 0) return { ok: false, error: failure(events, failed, mine[failed]!, events.length > 1) };
    return {
      ok: true,
      // The request knows each event's aggregate type: no search of the JSON for it.
      events: mine.map((r, i) => ({ ...eventRecord(r.r_event!, events[i]!.aggregateType), created: r.r_status === 'created' })),
    };
  });
}

function failure(events: NewEvent[], index: number, row: AppendRow, inBatch: boolean): AppError {
  const e = events[index]!;
  const where = inBatch ? { index } : {};
  if (row.r_status === 'id_conflict') {
    return new AppError('id_conflict', `an event with id ${e.id} is already stored with a different body`, { id: e.id, ...where });
  }
  const current = Number(row.r_current_sequence);
  return new AppError(
    'sequence_conflict',
    `expected_sequence ${e.expectedSequence} but ${e.aggregateType} ${e.aggregateId} is at sequence ${current}`,
    { aggregate_type: e.aggregateType, aggregate_id: e.aggregateId, expected_sequence: e.expectedSequence, current_sequence: current, ...where },
  );
}

// Reads use postgres.js directly: its statements are prepared once per connection, while a
// query built by drizzle is parsed and planned on every call (measured: +0.5 ms per GET).

export async function getEvent(sql: Sql, id: string): Promise<string | undefined> {
  const rows = await sql<{ json: string }[]>`select event_json(e) as json from events e where e.id = ${id}`;
  return rows[0]?.json;
}

/**
 * Runs GET /events. Events are returned in position order, which is commit order, so paging
 * with `after` never skips one.
 */
export async function queryEvents(sql: Sql, q: EventQuery): Promise<{ events: string[]; nextAfter: number | null }> {
  const { page, more } = splitPage(await runEventQuery(sql, q), q.limit);
  return { events: page.map((r) => r.json), nextAfter: more ? Number(page[page.length - 1]!.position) : null };
}

const PAGE_OPEN = Buffer.from('{"events":['), COMMA = Buffer.from(','), PAGE_CLOSE = Buffer.from('],"next_after":');

/**
 * GET /events' response body, built from the events' bytes as PostgreSQL sent them: no string
 * per event, no join, no re-encoding.
 */
export async function queryEventsPage(sql: Sql, q: EventQuery): Promise<Buffer<ArrayBuffer>> {
  const rows = (await runEventQuery(sql, q).raw()) as unknown as [Buffer, Buffer][];
  const { page, more } = splitPage(rows, q.limit);
  const parts: Buffer[] = [PAGE_OPEN];
  page.forEach(([json], i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(json);
  });
  parts.push(PAGE_CLOSE, Buffer.from(more ? `${page[page.length - 1]![1].toString()}}` : 'null}'));
  return Buffer.concat(parts);
}

/** The statement fetches limit + 1 rows: the extra one only says that more follow. */
function splitPage<T>(rows: T[], limit: number): { page: T[]; more: boolean } {
  return rows.length > limit ? { page: rows.slice(0, limit), more: true } : { page: rows, more: false };
}

/** The statement of GET /events, prepared once per connection; rows are { json, position }. */
function runEventQuery(sql: Sql, q: EventQuery) {
  const { text, params } = eventQuery(q);
  return sql.unsafe<{ json: string; position: string }[]>(text, params, { prepare: true });
}

/** A statement as SQL text and its parameters ($1, $2, ...). */
export interface Statement {
  text: string;
  params: (string | number)[];
}

// Limits written into the statement text (see eventQuery()): at most this many distinct ones
// per process, so a client cycling through limits cannot make every connection prepare a
// statement per value. Others go as a parameter.
const MAX_LITERAL_LIMITS = 8;
const literalLimits = new Set<number>();
function admitLiteralLimit(n: number): boolean {
  if (!literalLimits.has(n) && literalLimits.size < MAX_LITERAL_LIMITS && Number.isSafeInteger(n)) literalLimits.add(n);
  return literalLimits.has(n);
}

/**
 * The SQL of GET /events (exported so tests can EXPLAIN it). Fetches limit + 1 rows.
 *
 * Plan caching decides its cost. PostgreSQL keeps a prepared statement's generic plan only if
 * that plan is estimated no dearer than one made for the actual values, and it costs a LIMIT
 * or OFFSET given as a parameter as a tenth of the rows: with `limit $n offset $m` every keyset
 * page, correlation-id and time-range query was planned anew (at 10M events, read-plans.ts in
 * bench/probes: 0.37 against 0.09 ms for a correlation id, 0.79 against 0.46 ms for a time
 * range; bench/README.md). So the limit is part of the text, and OFFSET left out when it is
 * zero, wherever the best plan is the same for every value: an aggregate id or a correlation
 * id (each walks its own index in position order), a time range (its bounds are looked up when
 * the query runs) and the position order alone. Only an event_type or aggregate_type filter
 * without those keeps limit and offset as parameters: the plan PostgreSQL would keep for a
 * common type (the position index, filtered) read all 10M rows, 3.6–4.1 s, for a type with no
 * events, which the type's own index answers at once; as parameters, each call is planned for
 * its own value.
 */
export function eventQuery(q: EventQuery): Statement {
  const params: (string | number)[] = [];
  const param = (value: string | number) => `$${params.push(value)}`;
  const where: string[] = [];
  if (q.aggregateType) where.push(`e.aggregate_type = ${param(q.aggregateType)}`);
  if (q.aggregateId) where.push(`e.aggregate_id = ${param(q.aggregateId)}`);
  if (q.eventType) where.push(`e.event_type = ${param(q.eventType)}`);
  if (q.correlationId) where.push(`(e.metadata ->> 'correlation_id') = ${param(q.correlationId)}`);
  // created_at never decreases along position (append_events() takes it under the append
  // lock, never earlier than the previous one), so [from, to) on created_at is exactly
  // [first position at or after from, first position at or after to) on position: one probe
  // of the created_at index each, then the position order serves LIMIT without a sort,
  // however wide the time range.
  if (q.from) where.push(`e.position >= ${firstPositionFrom(param(q.from))}`);
  if (q.to) where.push(`e.position < ${firstPositionFrom(param(q.to))}`);
  if (q.after !== undefined) where.push(`e.position ${q.order === 'asc' ? '>' : '<'} ${param(q.after)}`);

  const planDependsOnValues = !q.aggregateId && !q.correlationId && Boolean(q.aggregateType || q.eventType);
  const fetch = q.limit + 1;
  const page = !planDependsOnValues && admitLiteralLimit(fetch)
    ? `limit ${rowCountLiteral(fetch)}${q.offset > 0 ? ` offset ${param(q.offset)}` : ''}`
    : `limit ${param(fetch)} offset ${param(q.offset)}`;
  const text = `select event_json(e) as json, e.position from events e
    where ${where.length === 0 ? 'true' : where.join(' and ')}
    order by e.position ${q.order === 'asc' ? 'asc' : 'desc'}
    ${page}`;
  return { text, params };
}

/**
 * A row count written into SQL text instead of sent as a parameter, for a LIMIT whose statement
 * should keep its generic plan (see eventQuery()). Only a safe non-negative integer gets in.
 */
export function rowCountLiteral(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new TypeError(`a row count must be a non-negative integer, got ${n}`);
  return String(n);
}

// The first position at or after an instant (a parameter), or the largest bigint if there is none.
function firstPositionFrom(instant: string): string {
  return `coalesce((select s.position from events s where s.created_at >= ${instant}::timestamptz
    order by s.created_at, s.position limit 1), 9223372036854775807)`;
}

/** The newest committed position (0 for an empty store). */
export async function headPosition(sql: Sql): Promise<number> {
  const [row] = await sql<{ last_position: string }[]>`select last_position from events_head`;
  return Number(row?.last_position ?? 0);
}
