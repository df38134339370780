import { type AsyncBuffer, type FileMetaData, parquetMetadataAsync, parquetReadObjects, type ParquetRow } from 'hyparquet';
import { SEGMENT_COLUMNS } from './segment-format.ts';
import { createdAtFromMicros, type SegmentRow } from './segment-row.ts';

/** Random access to a segment's bytes (a ranged GET, a file read); `end` is exclusive. */
export interface SegmentSource {
  byteLength: number;
  read(start: number, end: number): Promise<Uint8Array>;
}

export interface SegmentRowGroup {
  rowStart: number;
  rowCount: number;
  minPosition: number;
  maxPosition: number;
}

/** A segment opened from its footer; reads decode only row groups whose statistics can match, and return position order. */
export interface SegmentReader {
  rowCount: number;
  rowGroups: readonly SegmentRowGroup[];
  readAll(): Promise<SegmentRow[]>;
  readPositionRange(from: number, to: number): Promise<SegmentRow[]>;
  /** Rows whose position is one of `positions`; positions the segment lacks are left out. */
  readPositions(positions: Iterable<number>): Promise<SegmentRow[]>;
  /** Rows at these indexes (0-based in the file), in index order, reading only the pages that hold them. */
  readRowIndexes(indexes: Iterable<number>): Promise<SegmentRow[]>;
  readGroupPositions(group: number): Promise<number[]>;
}

export async function openSegment(source: Uint8Array | SegmentSource): Promise<SegmentReader> {
  const file = asyncBuffer(source);
  const metadata = await parquetMetadataAsync(file, { initialFetchSize: 1 << 16 });
  const names = metadata.schema.slice(1).map((e) => e.name);
  if (names.join() !== SEGMENT_COLUMNS.join()) {
    throw new Error(`not an event segment: its columns are ${names.join(', ')}`);
  }
  const rowGroups = groupsOf(metadata);
  const read = async (groups: SegmentRowGroup[], keep: (position: number) => boolean) => {
    const rows: SegmentRow[] = [];
    for (const run of adjacentRuns(groups)) {
      const rowStart = run[0]!.rowStart;
      const last = run[run.length - 1]!;
      const decoded = await parquetReadObjects({ file, metadata, rowStart, rowEnd: last.rowStart + last.rowCount, parsers });
      for (const r of decoded) if (keep(Number(r.position))) rows.push(toSegmentRow(r));
    }
    return rows;
  };
  return {
    rowCount: Number(metadata.num_rows),
    rowGroups,
    readAll: () => read(rowGroups, () => true),
    readPositionRange: (from, to) =>
      read(rowGroups.filter((g) => g.maxPosition >= from && g.minPosition <= to), (p) => p >= from && p <= to),
    readPositions(positions) {
      const wanted = new Set(positions);
      const hit = rowGroups.filter((g) => [...wanted].some((p) => p >= g.minPosition && p <= g.maxPosition));
      return read(hit, (p) => wanted.has(p));
    },
    async readRowIndexes(indexes) {
      const rows: SegmentRow[] = [];
      for (const [rowStart, rowEnd] of consecutive([...new Set(indexes)].sort((a, b) => a - b))) {
        for (const r of await parquetReadObjects({ file, metadata, rowStart, rowEnd, parsers, useOffsetIndex: true })) rows.push(toSegmentRow(r));
      }
      return rows;
    },
    async readGroupPositions(group) {
      const g = rowGroups[group]!;
      const decoded = await parquetReadObjects({ file, metadata, rowStart: g.rowStart, rowEnd: g.rowStart + g.rowCount, columns: ['position'] });
      return decoded.map((r) => Number(r.position));
    },
  };
}

// Timestamps stay integers: a Date would drop the microseconds.
const parsers = { timestampFromMicroseconds: (micros: bigint) => micros };

function toSegmentRow(r: ParquetRow): SegmentRow {
  return {
    id: r.id, event_type: r.event_type, aggregate_type: r.aggregate_type, aggregate_id: r.aggregate_id,
    sequence: Number(r.sequence), position: Number(r.position), payload: r.payload, metadata: r.metadata,
    version: r.version, created_at: createdAtFromMicros(r.created_at),
  };
}

function groupsOf(metadata: FileMetaData): SegmentRowGroup[] {
  const column = SEGMENT_COLUMNS.indexOf('position');
  let rowStart = 0;
  return metadata.row_groups.map((g) => {
    const stats = g.columns[column]?.meta_data?.statistics;
    const group = {
      rowStart,
      rowCount: Number(g.num_rows),
      // A group without statistics (another writer) is never skipped.
      minPosition: stats?.min_value === undefined ? -Infinity : Number(stats.min_value),
      maxPosition: stats?.max_value === undefined ? Infinity : Number(stats.max_value),
    };
    rowStart += group.rowCount;
    return group;
  });
}

function consecutive(sorted: number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const i of sorted) {
    const last = runs[runs.length - 1];
    if (last && last[1] === i) last[1] = i + 1;
    else runs.push([i, i + 1]);
  }
  return runs;
}

function adjacentRuns(groups: SegmentRowGroup[]): SegmentRowGroup[][] {
  const runs: SegmentRowGroup[][] = [];
  for (const g of groups) {
    const run = runs[runs.length - 1];
    const last = run?.[run.length - 1];
    if (last && last.rowStart + last.rowCount === g.rowStart) run!.push(g);
    else runs.push([g]);
  }
  return runs;
}

function asyncBuffer(source: Uint8Array | SegmentSource): AsyncBuffer {
  if (source instanceof Uint8Array) return arrayBufferOf(source);
  return {
    byteLength: source.byteLength,
    slice: async (start, end) => arrayBufferOf(await source.read(start, end ?? source.byteLength)),
  };
}

function arrayBufferOf(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) return bytes.buffer;
  return bytes.slice().buffer;
}
