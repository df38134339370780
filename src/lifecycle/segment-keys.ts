/**
 * Where a segment lives in the archive: `segments/<aggregate_type>/<from>-<to>-<run id>.parquet`,
 * positions zero-padded so keys sort in position order, and its description beside it as
 * `….json`. The run id keeps two runs from writing the same key, and tells the orphan sweep
 * whose file it is.
 */
export const SEGMENTS_PREFIX = 'segments/';

const pad = (n: number) => String(n).padStart(16, '0');
const KEY = /^segments\/([a-z][a-z0-9_-]{0,63})\/(\d{16})-(\d{16})-([0-9a-f-]{36})\.(parquet|json)$/;

export function segmentKey(aggregateType: string, from: number, to: number, runId: string): string {
  return `${SEGMENTS_PREFIX}${aggregateType}/${pad(from)}-${pad(to)}-${runId}.parquet`;
}

export const sidecarKey = (key: string) => key.replace(/\.parquet$/, '.json');

/** The parts of a key this archive wrote, or null for any other object. */
export function parseSegmentKey(key: string): { segmentKey: string; runId: string } | null {
  const m = KEY.exec(key);
  if (!m) return null;
  return { segmentKey: key.replace(/\.json$/, '.parquet'), runId: m[4]! };
}
