import type { EventQuery } from '../events/query-input.ts';
import { AppError } from '../errors.ts';
import type { ArchiveReader, Candidate } from '../lifecycle/archive-reader.ts';
import { eventJson } from '../lifecycle/segment-row.ts';
import type { Sql } from '../postgres/database.ts';
import { pageRows } from './event-query.ts';

export interface PageRow {
  json: string;
  position: number;
}

// The hot read, then the archive's candidates: an event archived in between is in both (de-duplicated
// by position), never in neither. On a pool the second waits for the first.
export async function readTiers<T>(sql: Sql, pipelined: boolean, archive: ArchiveReader, q: EventQuery, hot: () => PromiseLike<unknown> & { execute(): unknown }): Promise<{ hot: T; first: Candidate[] }> {
  if (pipelined) {
    const h = hot();
    h.execute();
    const [rows, first] = await Promise.all([h, archive.segments(sql, q)]);
    return { hot: rows as unknown as T, first };
  }
  const rows = await hot();
  return { hot: rows as unknown as T, first: await archive.segments(sql, q) };
}

/**
 * A GET /events page across tiers, merged in the query's order. The archive is read only up to the
 * last hot row when the hot read stopped short (at the limit or at the byte budget): beyond it,
 * hot events may be missing, so the page ends there at the latest.
 */
export async function mergePage(sql: Sql, archive: ArchiveReader, q: EventQuery, hot: PageRow[], first: Candidate[], maxBytes: number): Promise<{ events: string[]; nextAfter: number | null }> {
  const n = q.offset + q.limit + 1;
  const asc = q.order === 'asc';
  const size = (r: PageRow) => Buffer.byteLength(r.json);
  const cut = hot.length >= n || hot.slice(q.offset).reduce((bytes, r) => bytes + size(r), 0) >= maxBytes;
  const edge = cut ? hot[Math.min(n, hot.length) - 1]!.position : undefined;
  const window = asc
    ? { lo: q.after ?? 0, hi: edge === undefined ? Infinity : edge + 1 }
    : { lo: edge === undefined ? 0 : edge - 1, hi: q.after ?? Infinity };
  // The budget counts from the offset, which the archive cannot place in the merged order.
  const archived = await archive.readQuery(sql, q, first, window, n, q.offset === 0 ? maxBytes : Infinity);
  const merged: PageRow[] = [];
  let i = 0, k = 0, bytes = 0;
  // Up to the row that takes the page past the budget, so no more archived JSON is built than it holds.
  while (merged.length < n && bytes < maxBytes && (i < hot.length || k < archived.length)) {
    const h = hot[i], a = archived[k];
    const takeHot = a === undefined || (h !== undefined && (asc ? h.position <= a.position : h.position >= a.position));
    const row = takeHot ? h! : { json: eventJson(a!), position: a!.position };
    if (takeHot) i++;
    else k++;
    if (merged.length > 0 && merged[merged.length - 1]!.position === row.position) continue;
    merged.push(row);
    if (merged.length > q.offset) bytes += size(row);
  }
  // The loop stopped at the limit's extra row or at the row that reached the budget, as pageRows() would.
  const rest = merged.slice(q.offset);
  const page = rest.slice(0, q.limit);
  const more = rest.length > q.limit || bytes >= maxBytes;
  return { events: page.map((r) => r.json), nextAfter: more || (cut && page.length > 0) ? page[page.length - 1]!.position : null };
}

/**
 * A page of an aggregate's events after afterSequence across tiers: the archived ones, then the hot
 * ones past them, in sequence order. As for GET /events, PostgreSQL was read first: an event
 * archived in between is in both reads (kept once, by position) and never in neither, unless
 * retention deleted it meanwhile. So when the page is not the next sequences, one at a time,
 * first_retained_sequence (read last, after any such deletion committed) says `gone`; anything else
 * is a broken invariant, thrown rather than returned. The hot rows are aggregateQuery()'s: when
 * they stopped at their limit or budget, so does the merged page, since they follow the archived.
 */
export async function aggregatePage(
  sql: Sql, archive: ArchiveReader, a: { type: string; id: string; afterSequence: number; limit: number; maxBytes: number }, hot: PageRow[],
): Promise<{ events: string[]; nextAfter: number | null }> {
  const { type, id, afterSequence } = a;
  const archived = await archive.readAggregate(sql, type, id, afterSequence, a.limit + 1, a.maxBytes);
  const last = archived.length > 0 ? archived[archived.length - 1]!.position : 0;
  const rows = [...archived.map((r) => ({ json: eventJson(r), position: r.position })), ...hot.filter((r) => r.position > last)];
  const { page, more } = pageRows(rows, a.limit, a.maxBytes, (r) => Buffer.byteLength(r.json));
  const hole = page.findIndex((r, k) => sequenceOf(r.json) !== afterSequence + 1 + k);
  if (hole < 0 && page.length > 0) return { events: page.map((r) => r.json), nextAfter: more ? page[page.length - 1]!.position : null };
  const [aggregate] = await sql<{ first_retained_sequence: string }[]>`
    select first_retained_sequence from aggregates where aggregate_id = ${id} and aggregate_type = ${type}`;
  const firstRetained = Number(aggregate?.first_retained_sequence ?? 1);
  if (afterSequence + 1 < firstRetained) {
    throw new AppError('gone', `the events of ${type} ${id} before sequence ${firstRetained} were deleted by its retention policy; a snapshot at sequence ${firstRetained - 1} or later is needed to load it`, {
      aggregate_type: type, aggregate_id: id, first_retained_sequence: firstRetained,
    });
  }
  if (hole >= 0) throw new Error(`the events of ${type} ${id} after sequence ${afterSequence} read from PostgreSQL and the archive are not consecutive: sequence ${sequenceOf(page[hole]!.json)} came where ${afterSequence + 1 + hole} was due`);
  return { events: [], nextAfter: null };
}

const SEQUENCE = /"sequence":(\d+)/;

/** The sequence of an event given as its canonical JSON (sequence precedes payload in it). */
export const sequenceOf = (json: string) => Number(SEQUENCE.exec(json)![1]);
