import { and, asc, desc, eq, gt, lt, sql as dsql, type SQL } from 'drizzle-orm';
import { AppError } from '../errors.ts';
import type { NewEvent } from '../events/event.ts';
import type { EventQuery } from '../events/query-input.ts';
import type { Database } from './database.ts';
import { events } from './schema.ts';

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
const POSITION = /"position":(\d+)/;
function recordOf(json: string, aggregateType: string): EventRecord {
  return { json, aggregateType, position: Number(POSITION.exec(json)![1]) };
}

/**
 * Appends the events of several requests in one transaction (see append_events() in
 * drizzle/0001_append_function.sql for the concurrency contract). Each request is all or
 * nothing and gets its own outcome. Ids must be unique across all requests.
 */
export async function appendRequests(sql: Database['sql'], requests: NewEvent[][]): Promise<AppendOutcome[]> {
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
      events: mine.map((r, i) => ({ ...recordOf(r.r_event!, events[i]!.aggregateType), created: r.r_status === 'created' })),
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

const eventJson = dsql<string>`event_json(${events})`;

export async function getEvent(db: Database['db'], id: string): Promise<string | undefined> {
  const rows = await db.select({ json: eventJson }).from(events).where(eq(events.id, id));
  return rows[0]?.json;
}

// Largest bigint: an upper position bound that excludes nothing.
const NO_BOUND = dsql`9223372036854775807`;

/**
 * Runs GET /events. Events are returned in position order, which is commit order, so paging
 * with `after` never skips one. A time bound is also turned into a position bound because
 * created_at never decreases along position; that lets the position indexes serve it.
 */
export async function queryEvents(db: Database['db'], q: EventQuery): Promise<{ events: string[]; nextAfter: number | null }> {
  const rows = await buildEventQuery(db, q);
  const more = rows.length > q.limit;
  const page = more ? rows.slice(0, q.limit) : rows;
  return { events: page.map((r) => r.json), nextAfter: more ? page[page.length - 1]!.position : null };
}

/** The SQL of GET /events (exported so tests can EXPLAIN it). Fetches limit + 1 rows. */
export function buildEventQuery(db: Database['db'], q: EventQuery) {
  const where: SQL[] = [];
  if (q.aggregateType) where.push(eq(events.aggregateType, q.aggregateType));
  if (q.aggregateId) where.push(eq(events.aggregateId, q.aggregateId));
  if (q.eventType) where.push(eq(events.eventType, q.eventType));
  if (q.correlationId) where.push(dsql`(${events.metadata} ->> 'correlation_id') = ${q.correlationId}`);
  if (q.from) {
    where.push(dsql`${events.createdAt} >= ${q.from}::timestamptz`);
    where.push(dsql`${events.position} >= coalesce((select s.position from events s where s.created_at >= ${q.from}::timestamptz order by s.created_at, s.position limit 1), ${NO_BOUND})`);
  }
  if (q.to) {
    where.push(dsql`${events.createdAt} < ${q.to}::timestamptz`);
    where.push(dsql`${events.position} < coalesce((select s.position from events s where s.created_at >= ${q.to}::timestamptz order by s.created_at, s.position limit 1), ${NO_BOUND})`);
  }
  if (q.after !== undefined) where.push(q.order === 'asc' ? gt(events.position, q.after) : lt(events.position, q.after));

  return db
    .select({ json: eventJson, position: events.position })
    .from(events)
    .where(and(...where))
    .orderBy(q.order === 'asc' ? asc(events.position) : desc(events.position))
    .limit(q.limit + 1)
    .offset(q.offset);
}

/** The newest committed position (0 for an empty store). */
export async function headPosition(sql: Database['sql']): Promise<number> {
  const [row] = await sql<{ last_position: string }[]>`select last_position from events_head`;
  return Number(row?.last_position ?? 0);
}
