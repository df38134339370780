/** `segments/<type>/<from>-<to>-<run id>.parquet`: zero-padded so keys sort by position; the run id tells the sweep whose file it is. */
export const SEGMENTS_PREFIX = 'segments/';

const pad = (n: number) => String(n).padStart(16, '0');
const KEY = /^segments\/([a-z][a-z0-9_-]{0,63})\/(\d{16})-(\d{16})-([0-9a-f-]{36})\.(parquet|json)$/;

export function segmentKey(aggregateType: string, from: number, to: number, runId: string): string {
  return `${SEGMENTS_PREFIX}${aggregateType}/${pad(from)}-${pad(to)}-${runId}.parquet`;
}

export const sidecarKey = (key: string) => key.replace(/\.parquet$/, '.json');

export function parseSegmentKey(key: string): { segmentKey: string; runId: string } | null {
  const m = KEY.exec(key);
  if (!m) return null;
  return { segmentKey: key.replace(/\.json$/, '.parquet'), runId: m[4]! };
}
