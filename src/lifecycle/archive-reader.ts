import { AppError } from '../errors.ts';
import type { EventQuery } from '../events/query-input.ts';
import type { Sql } from '../postgres/database.ts';
import { rowFilter } from './archive-filter.ts';
import { StorageError, type ObjectStorage } from './object-storage.ts';
import { readCircuit, type ReadCircuitOptions } from './read-circuit.ts';
import { createSegmentCache } from './segment-cache.ts';
import { eventJsonLength, type SegmentRow } from './segment-row.ts';

/** A segment that may hold what a read asks; for an aggregate, `positions` and `rows` say exactly where. */
export interface Candidate {
  id: number;
  key: string;
  sha256: string;
  from: number;
  to: number;
  positions: number[] | null;
  rows: number[] | null;
}

/** Positions strictly between lo and hi. */
export interface Window {
  lo: number;
  hi: number;
}

export type ArchiveQuery = Omit<EventQuery, 'limit' | 'offset'>;

export interface ArchiveReaderOptions {
  /** null: this store was given no archive; reading archived events then fails with a clear error. */
  storage: ObjectStorage | null;
  cacheBytes: number;
  onStorage?: (error: StorageError | null) => void;
  /** A segment the manifest lists, opened for a read: null when whole, else missing or damaged. */
  onSegment?: (key: string, error: StorageError | null) => void;
  /** How long a storage read may take, and how long reads then fail at once (read-circuit.ts). */
  readCircuit?: ReadCircuitOptions;
}

const CHUNK = 200;

// At most a row's bytes in its event JSON: reads stop once rows reach a page's byte budget by this
// count, so they never stop short of the page.
const leastBytes = eventJsonLength;
const leastBytesOf = (rows: SegmentRow[]) => rows.reduce((n, r) => n + leastBytes(r), 0);

/** The rows up to the one that takes them to maxBytes (by leastBytes). */
function upToBytes(rows: SegmentRow[], maxBytes: number): SegmentRow[] {
  let n = 0, bytes = 0;
  while (n < rows.length && bytes < maxBytes) bytes += leastBytes(rows[n++]!);
  return n < rows.length ? rows.slice(0, n) : rows;
}

/**
 * Reads archived events for the store. Each method takes the connection the hot tier was read
 * on and runs after that read, so an event archived in between is found (de-duplicated), never missed.
 */
export function createArchiveReader(options: ArchiveReaderOptions) {
  const cache = options.storage ? createSegmentCache({ storage: readCircuit(options.storage, options.readCircuit), maxBytes: options.cacheBytes }) : null;

  async function guarded<T>(fn: () => Promise<T>): Promise<T> {
    if (!cache) throw new Error('these events are in the archive tier: give createEventStore() the archive ({ archive: createArchiveReader(…) }) to read them');
    try {
      const result = await fn();
      options.onStorage?.(null);
      return result;
    } catch (error) {
      if (!(error instanceof StorageError)) throw error;
      // A segment missing or damaged is named (its key says nothing of where the storage is); retrying will not mend it.
      if (error.key !== undefined) throw new AppError('storage_unavailable', error.message, { tier: 'archive' }, { cause: error });
      options.onStorage?.(error);
      throw new AppError('storage_unavailable', `the archive storage cannot be read now (${error.kind}); retry later`, { tier: 'archive' }, { cause: error });
    }
  }

  // A candidate's footer; undefined when retention deleted the segment since the manifest was read.
  async function openCandidate(sql: Sql, c: Candidate) {
    try {
      const reader = await cache!.open(c);
      options.onSegment?.(c.key, null);
      return reader;
    } catch (error) {
      if (!(error instanceof StorageError) || error.key === undefined) throw error;
      // The storage answered: what failed is this segment.
      options.onStorage?.(null);
      if (error.kind === 'not_found' && (await sql`select 1 from archive_segments where id = ${c.id}`).length === 0) {
        options.onSegment?.(c.key, null);
        return undefined;
      }
      options.onSegment?.(c.key, error);
      throw error;
    }
  }

  // Up to max rows, or up to the one that takes them to maxBytes.
  async function rowsOf(sql: Sql, c: Candidate, window: Window, asc: boolean, max: number, keep: (r: SegmentRow) => boolean, maxBytes = Infinity): Promise<SegmentRow[]> {
    const reader = await openCandidate(sql, c);
    if (!reader) return [];
    const out: SegmentRow[] = [];
    let bytes = 0;
    const take = (r: SegmentRow) => {
      out.push(r);
      bytes += leastBytes(r);
      return out.length < max && bytes < maxBytes;
    };
    if (c.positions && c.rows) {
      // An aggregate's events: read by row number, only the pages that hold them, a page's worth at a time.
      const picked = c.rows.filter((_, k) => c.positions![k]! > window.lo && c.positions![k]! < window.hi);
      if (!asc) picked.reverse();
      for (let k = 0; k < picked.length; k += max) {
        for (const r of await cache!.rowsAt(c, picked.slice(k, k + max))) if (keep(r) && !take(r)) return out;
      }
      return out;
    }
    const indexes = reader.rowGroups
      .map((g, i) => ({ g, i }))
      .filter(({ g }) => g.maxPosition > window.lo && g.minPosition < window.hi)
      .map(({ i }) => i);
    if (!asc) indexes.reverse();
    for (const i of indexes) {
      const rows = await cache!.group(c, i);
      for (let k = 0; k < rows.length; k++) {
        const r = rows[asc ? k : rows.length - 1 - k]!;
        if (r.position <= window.lo || r.position >= window.hi || !keep(r)) continue;
        if (!take(r)) return out;
      }
    }
    return out;
  }

  async function rowAtPosition(sql: Sql, c: Candidate, position: number): Promise<SegmentRow | undefined> {
    const reader = await openCandidate(sql, c);
    if (!reader) return undefined;
    const g = reader.rowGroups.findIndex((x) => position >= x.minPosition && position <= x.maxPosition);
    if (g < 0) return undefined;
    const positions = await cache!.groupPositions(c, g);
    let lo = 0, hi = positions.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (positions[mid] === position) return (await cache!.rowsAt(c, [reader.rowGroups[g]!.rowStart + mid]))[0];
      if (positions[mid]! < position) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  return {
    segments: (sql: Sql, q: ArchiveQuery, after?: Candidate) => candidates(sql, q, after),

    /** Up to `max` events matching `q` within `window` (or to the one taking them to `maxBytes`), in q's order, reading segments only as far as needed. */
    readQuery(sql: Sql, q: ArchiveQuery, first: Candidate[], window: Window, max: number, maxBytes = Infinity): Promise<SegmentRow[]> {
      return guarded(async () => {
        const asc = q.order === 'asc';
        const keep = rowFilter(q);
        let collected: SegmentRow[] = [];
        for (let chunk = first; chunk.length > 0; chunk = chunk.length < CHUNK ? [] : await candidates(sql, q, chunk[chunk.length - 1])) {
          for (const c of chunk) {
            const edge = asc ? c.from : c.to;
            if (asc ? edge >= window.hi : edge <= window.lo) return collected;
            const full = collected.length >= max || leastBytesOf(collected) >= maxBytes;
            const last = collected[collected.length - 1];
            if (full && last && (asc ? edge > last.position : edge < last.position)) return collected;
            const rows = await rowsOf(sql, c, window, asc, max, keep, maxBytes);
            collected = upToBytes([...collected, ...rows].sort((a, b) => (asc ? a.position - b.position : b.position - a.position)).slice(0, max), maxBytes);
          }
        }
        return collected;
      });
    },

    async readPosition(sql: Sql, position: number): Promise<SegmentRow | undefined> {
      const found = await sql<{ id: string; key: string; sha256: string }[]>`
        select id, key, sha256 from archive_segments where from_position <= ${position} and to_position >= ${position}`;
      if (found.length === 0) return undefined;
      return guarded(async () => {
        for (const s of found) {
          const row = await rowAtPosition(sql, { id: Number(s.id), key: s.key, sha256: s.sha256, from: position, to: position, positions: null, rows: null }, position);
          if (row) return row;
        }
        return undefined;
      });
    },

    /** An aggregate's archived events after a sequence, in sequence order: `limit` of them, or up to the one taking them to `maxBytes`. */
    async readAggregate(sql: Sql, type: string, id: string, afterSequence: number, limit: number, maxBytes = Infinity): Promise<SegmentRow[]> {
      const entries = await sql<{ id: string; key: string; sha256: string; first_sequence: string; positions: string[]; rows: number[] }[]>`
        select s.id, s.key, s.sha256, a.first_sequence, a.positions, a.rows from archive_aggregate_segments a join archive_segments s on s.id = a.segment_id
        where a.aggregate_id = ${id} and a.aggregate_type = ${type} and a.last_sequence > ${afterSequence}
        order by a.first_sequence`;
      if (entries.length === 0) return [];
      return guarded(async () => {
        const out: SegmentRow[] = [];
        let bytes = 0;
        for (const e of entries) {
          const skip = Math.max(0, afterSequence + 1 - Number(e.first_sequence));
          const positions = e.positions.map(Number).slice(skip, skip + limit - out.length);
          if (positions.length === 0) continue;
          const rows = e.rows.slice(skip, skip + positions.length);
          const candidate = { id: Number(e.id), key: e.key, sha256: e.sha256, from: positions[0]!, to: positions[positions.length - 1]!, positions, rows };
          const read = await rowsOf(sql, candidate, { lo: 0, hi: Infinity }, true, positions.length, () => true, maxBytes - bytes);
          out.push(...read);
          bytes += leastBytesOf(read);
          if (out.length >= limit || bytes >= maxBytes) break;
        }
        return out;
      });
    },

    stats: () => cache?.stats() ?? { bytes: 0, groups: 0, segments: 0 },
  };
}

export type ArchiveReader = ReturnType<typeof createArchiveReader>;

type CandidateRow = { id: string; key: string; sha256: string; from_position: string; to_position: string; positions: string[] | null; rows: number[] | null };

async function candidates(sql: Sql, q: ArchiveQuery, after?: Candidate): Promise<Candidate[]> {
  const asc = q.order === 'asc';
  const params: (string | number)[] = [];
  const p = (v: string | number) => `$${params.push(v)}`;
  const where: string[] = [];
  const type = q.aggregateType ?? (q.eventType ? q.eventType.slice(0, q.eventType.indexOf('.')) : undefined);
  if (type) where.push(`s.aggregate_type = ${p(type)}`);
  if (q.after !== undefined) where.push(asc ? `s.to_position > ${p(q.after)}` : `s.from_position < ${p(q.after)}`);
  if (q.from) where.push(`s.last_created_at >= ${p(q.from)}::text::timestamptz`);
  if (q.to) where.push(`s.first_created_at < ${p(q.to)}::text::timestamptz`);
  if (after) where.push(asc ? `(s.from_position, s.id) > (${p(after.from)}, ${p(after.id)})` : `(s.to_position, s.id) < (${p(after.to)}, ${p(after.id)})`);
  const order = asc ? 's.from_position, s.id' : 's.to_position desc, s.id desc';
  const text = q.aggregateId
    ? `select s.id, s.key, s.sha256, s.from_position, s.to_position, a.positions, a.rows from archive_aggregate_segments a join archive_segments s on s.id = a.segment_id
       where a.aggregate_id = ${p(q.aggregateId)} ${where.map((w) => `and ${w}`).join(' ')} order by ${order} limit ${CHUNK}`
    : `select s.id, s.key, s.sha256, s.from_position, s.to_position, null as positions, null as rows from archive_segments s
       ${where.length > 0 ? `where ${where.join(' and ')}` : ''} order by ${order} limit ${CHUNK}`;
  const rows = await sql.unsafe<CandidateRow[]>(text, params, { prepare: true });
  return rows.map((r) => ({ id: Number(r.id), key: r.key, sha256: r.sha256, from: Number(r.from_position), to: Number(r.to_position), positions: r.positions?.map(Number) ?? null, rows: r.rows }));
}
