import { AppError, withIndex } from '../errors.ts';
import type { NewEvent } from '../events/event.ts';
import type { Sql } from '../postgres/database.ts';
import type { AppendOutcome } from '../store/append.ts';
import { eventRecord } from '../store/event-record.ts';
import type { ArchiveReader } from './archive-reader.ts';
import { eventJson, type SegmentRow } from './segment-row.ts';

type Append = (requests: NewEvent[][]) => Promise<AppendOutcome[]>;

// A request can meet ids that leave PostgreSQL meanwhile; this many rounds settle any real case.
const ROUNDS = 3;

/**
 * Resends of events that left PostgreSQL: the same body is a duplicate (answered with the archived
 * event), another an id conflict, a deleted one gone; if all are duplicates the rest is appended again.
 */
export async function resolveMoved(sql: Sql, archive: ArchiveReader, requests: NewEvent[][], outcomes: AppendOutcome[], append: Append): Promise<AppendOutcome[]> {
  return Promise.all(outcomes.map((o, i) => (o.ok || !o.moved ? o : settle(sql, archive, requests[i]!, append, ROUNDS))));
}

async function settle(sql: Sql, archive: ArchiveReader, events: NewEvent[], append: Append, rounds: number): Promise<AppendOutcome> {
  const stored = await sql<{ id: string; position: string }[]>`
    select d.id, d.position from event_ids d where d.id = any(${events.map((e) => e.id)}::uuid[])
      and not exists (select 1 from events e where e.position = d.position)`;
  const duplicates = new Map<string, string>();
  for (const { id, position } of stored) {
    const index = events.findIndex((e) => e.id === id);
    const where = { index };
    const row = await archive.readPosition(sql, Number(position));
    if (!row) return { ok: false, error: new AppError('gone', `an event with id ${id} was stored and deleted by its retention policy; ids are never reused`, { id, ...where }) };
    if (!sameEvent(events[index]!, row)) return { ok: false, error: new AppError('id_conflict', `an event with id ${id} is already stored (archived) with a different body`, { id, ...where }) };
    duplicates.set(id, eventJson(row));
  }
  const rest = events.filter((e) => !duplicates.has(e.id));
  let appended: AppendOutcome = { ok: true, events: [] };
  if (rest.length > 0) {
    [appended] = (await append([rest])) as [AppendOutcome];
    if (!appended.ok && appended.moved && rounds > 1) appended = await settle(sql, archive, rest, append, rounds - 1);
    if (!appended.ok) return { ...appended, error: reindexed(appended.error, rest, events) };
  }
  const fresh = appended.ok ? appended.events : [];
  let k = 0;
  return {
    ok: true,
    events: events.map((e) => {
      const json = duplicates.get(e.id);
      return json === undefined ? fresh[k++]! : { ...eventRecord(json, e.aggregateType), created: false };
    }),
  };
}

/** As append_events_careful() compares a resend: payload and metadata as jsonb, without correlation_id when the resend's body gave none. */
function sameEvent(e: NewEvent, r: SegmentRow): boolean {
  return e.eventType === r.event_type && e.aggregateType === r.aggregate_type && e.aggregateId === r.aggregate_id
    && e.version === r.version && jsonbEqual(e.payload, JSON.parse(r.payload)) && sameMetadata(e, JSON.parse(r.metadata));
}

function sameMetadata(e: NewEvent, stored: Record<string, unknown>): boolean {
  const notSent = e.correlationFromHeader || e.metadata.correlation_id === undefined;
  return notSent ? jsonbEqual(withoutCorrelation(e.metadata), withoutCorrelation(stored)) : jsonbEqual(e.metadata, stored);
}

const withoutCorrelation = ({ correlation_id: _, ...rest }: Record<string, unknown>) => rest;

// jsonb equality on values JSON.parse gave: numbers by value (-0 is 0; the request's guard refuses
// any a double cannot hold, so doubles compare exactly), objects whatever their key order.
function jsonbEqual(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonbEqual(x, b[i]));
  }
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length
    && keys.every((k) => Object.hasOwn(b, k) && jsonbEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** An error about `rest[index]`, renamed to that event's place among `events`. */
function reindexed(error: AppError, rest: NewEvent[], events: NewEvent[]): AppError {
  const index = error.extensions.index;
  if (typeof index !== 'number') return error;
  return withIndex(error, events.indexOf(rest[index]!));
}
