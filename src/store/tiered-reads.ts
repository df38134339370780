import type { EventQuery } from '../events/query-input.ts';
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
  const archived = await archive.readQuery(sql, q, first, window, n);
  const merged: PageRow[] = [];
  let i = 0, k = 0;
  while (merged.length < n && (i < hot.length || k < archived.length)) {
    const h = hot[i], a = archived[k];
    const takeHot = a === undefined || (h !== undefined && (asc ? h.position <= a.position : h.position >= a.position));
    const row = takeHot ? h! : { json: eventJson(a!), position: a!.position };
    if (takeHot) i++;
    else k++;
    if (merged.length === 0 || merged[merged.length - 1]!.position !== row.position) merged.push(row);
  }
  const { page, more } = pageRows(merged.slice(q.offset), q.limit, maxBytes, size);
  return { events: page.map((r) => r.json), nextAfter: more || (cut && page.length > 0) ? page[page.length - 1]!.position : null };
}

const SEQUENCE = /"sequence":(\d+)/;

/** The sequence of an event given as its canonical JSON (sequence precedes payload in it). */
export const sequenceOf = (json: string) => Number(SEQUENCE.exec(json)![1]);
