import type { SchemaElement } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { runsWithin } from '../events/runs-within.ts';
import { createdAtMicros, eventJsonLength, type SegmentRow } from './segment-row.ts';

/**
 * One Parquet file of events in position order, SNAPPY-compressed (built into every reader),
 * UUIDs and JSON as UTF8 strings rather than logical types so every reader gets the exact bytes.
 */
export const SEGMENT_COLUMNS = [
  'id', 'event_type', 'aggregate_type', 'aggregate_id', 'sequence', 'position', 'payload', 'metadata', 'version', 'created_at',
] as const;

export const SEGMENT_CODEC = 'SNAPPY';
export const DEFAULT_ROW_GROUP_SIZE = 5_000;
/** Most event JSON per row group unless told otherwise (4 MiB, as MAX_PAGE_BYTES): a read decodes whole groups. */
export const DEFAULT_ROW_GROUP_BYTES = 4 * 1024 * 1024;
export const SEGMENT_FORMAT_KEY = 'event_service.segment_format';
export const SEGMENT_FORMAT_VERSION = '1';

const text = { type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' }, repetition_type: 'REQUIRED' } as const;
const int64 = { type: 'INT64', repetition_type: 'REQUIRED' } as const;

const SCHEMA: SchemaElement[] = [
  { name: 'schema', num_children: SEGMENT_COLUMNS.length },
  { name: 'id', ...text },
  { name: 'event_type', ...text },
  { name: 'aggregate_type', ...text },
  { name: 'aggregate_id', ...text },
  { name: 'sequence', ...int64 },
  { name: 'position', ...int64 },
  { name: 'payload', ...text },
  { name: 'metadata', ...text },
  { name: 'version', type: 'INT32', repetition_type: 'REQUIRED' },
  {
    name: 'created_at', ...int64, converted_type: 'TIMESTAMP_MICROS',
    logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
  },
];

export interface EncodeSegmentOptions {
  /** Rows per row group (default 5,000): a point read decodes one whole group. */
  rowGroupSize?: number;
  /** A row group ends before the event that would take its events' JSON past this (DEFAULT_ROW_GROUP_BYTES). */
  rowGroupBytes?: number;
  /** Target bytes per data page (default 1 MiB); with the offset index a point read decodes only its pages. */
  pageSize?: number;
}

/** Encodes events, which must be in strictly increasing position order, into one segment file. */
export function encodeSegment(rows: readonly SegmentRow[], options: EncodeSegmentOptions = {}): Uint8Array {
  if (rows.length === 0) throw new Error('a segment holds at least one event');
  for (let i = 1; i < rows.length; i++) {
    if (!(rows[i]!.position > rows[i - 1]!.position)) {
      throw new Error(`segment rows must be in increasing position order: ${rows[i]!.position} follows ${rows[i - 1]!.position}`);
    }
  }
  const strings = (k: 'id' | 'event_type' | 'aggregate_type' | 'aggregate_id' | 'payload' | 'metadata') => ({ name: k, data: rows.map((r) => r[k]) });
  const buffer = parquetWriteBuffer({
    schema: SCHEMA,
    codec: SEGMENT_CODEC,
    // A group ends at rowGroupSize rows, or before the row that would take it past rowGroupBytes.
    rowGroupSize: runsWithin(rows, options.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE, options.rowGroupBytes ?? DEFAULT_ROW_GROUP_BYTES, eventJsonLength).map((group) => group.length),
    ...(options.pageSize ? { pageSize: options.pageSize } : {}),
    statistics: true,
    kvMetadata: [{ key: SEGMENT_FORMAT_KEY, value: SEGMENT_FORMAT_VERSION }],
    columnData: [
      strings('id'),
      strings('event_type'),
      strings('aggregate_type'),
      strings('aggregate_id'),
      { name: 'sequence', data: BigInt64Array.from(rows, (r) => BigInt(r.sequence)) },
      { name: 'position', data: BigInt64Array.from(rows, (r) => BigInt(r.position)) },
      strings('payload'),
      strings('metadata'),
      { name: 'version', data: Int32Array.from(rows, (r) => r.version) },
      { name: 'created_at', data: BigInt64Array.from(rows, (r) => createdAtMicros(r.created_at)) },
    ],
  });
  return new Uint8Array(buffer);
}
