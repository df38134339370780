import type { ObjectStorage } from './object-storage.ts';
import type { SegmentCodec } from './segment-codec.ts';
import { segmentKey, sidecarKey } from './segment-keys.ts';
import { SEGMENT_COLUMNS, SEGMENT_FORMAT_VERSION } from './segment-format.ts';
import type { SegmentRow } from './segment-row.ts';

/** A step of archival, reported as it completes (tests stop the process at one to prove crash safety). */
export type ArchiveStep = 'segment-written' | 'sidecar-written' | 'verified' | 'committing' | 'committed' | 'forgetting' | 'forgotten';
export type OnStep = (step: ArchiveStep) => void | Promise<void>;

export interface AggregateEntry {
  aggregate_id: string;
  first_sequence: number;
  last_sequence: number;
  positions: number[];
  rows: number[];
}

export interface WrittenSegment {
  key: string;
  aggregateType: string;
  fromPosition: number;
  toPosition: number;
  firstCreatedAt: string;
  lastCreatedAt: string;
  events: number;
  bytes: number;
  sha256: string;
  aggregates: AggregateEntry[];
}

export interface WriteSegmentOptions {
  storage: ObjectStorage;
  codec: SegmentCodec;
  rows: SegmentRow[];
  runId: string;
  rowGroupSize?: number;
  onStep?: OnStep;
}

/**
 * Writes a segment and its description, then reads it back and checks checksum, count, positions
 * and every event's canonical JSON; throws otherwise (the file is then an orphan for the next run).
 */
export async function writeSegment({ storage, codec, rows, runId, rowGroupSize, onStep }: WriteSegmentOptions): Promise<WrittenSegment> {
  const first = rows[0]!, last = rows[rows.length - 1]!;
  const { bytes, summary } = await codec.encode(rows, rowGroupSize);
  const key = segmentKey(first.aggregate_type, first.position, last.position, runId);
  await storage.put(key, bytes);
  await onStep?.('segment-written');
  const segment: WrittenSegment = {
    key, aggregateType: first.aggregate_type, fromPosition: first.position, toPosition: last.position,
    firstCreatedAt: first.created_at, lastCreatedAt: last.created_at, events: rows.length, bytes: bytes.byteLength,
    sha256: summary.sha256, aggregates: aggregateEntries(rows),
  };
  await storage.put(sidecarKey(key), new TextEncoder().encode(describe(segment, summary.contentSha256, runId)));
  await onStep?.('sidecar-written');

  const back = await codec.inspect(await storage.get(key));
  for (const field of ['sha256', 'contentSha256', 'events', 'firstPosition', 'lastPosition'] as const) {
    if (back[field] !== summary[field]) throw new Error(`segment ${key} did not read back as written: ${field} is ${back[field]}, expected ${summary[field]}`);
  }
  await onStep?.('verified');
  return segment;
}

function aggregateEntries(rows: SegmentRow[]): AggregateEntry[] {
  const byId = new Map<string, AggregateEntry>();
  rows.forEach((r, row) => {
    const entry = byId.get(r.aggregate_id);
    if (!entry) byId.set(r.aggregate_id, { aggregate_id: r.aggregate_id, first_sequence: r.sequence, last_sequence: r.sequence, positions: [r.position], rows: [row] });
    else {
      entry.last_sequence = r.sequence;
      entry.positions.push(r.position);
      entry.rows.push(row);
    }
  });
  return [...byId.values()];
}

/** The manifest entry written beside the segment: the archive describes itself without the database. */
function describe(s: WrittenSegment, contentSha256: string, runId: string): string {
  return JSON.stringify({
    format: 'event-service archive segment', format_version: Number(SEGMENT_FORMAT_VERSION), key: s.key,
    aggregate_type: s.aggregateType, from_position: s.fromPosition, to_position: s.toPosition,
    first_created_at: s.firstCreatedAt, last_created_at: s.lastCreatedAt, events: s.events, bytes: s.bytes,
    sha256: s.sha256, content_sha256: contentSha256, columns: SEGMENT_COLUMNS, run_id: runId,
  }, null, 2);
}
