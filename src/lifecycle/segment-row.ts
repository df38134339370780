/** An archived event: payload and metadata as PostgreSQL's `jsonb::text`, created_at as event_json() writes it (UTC, µs). */
export interface SegmentRow {
  id: string;
  event_type: string;
  aggregate_type: string;
  aggregate_id: string;
  sequence: number;
  position: number;
  payload: string;
  metadata: string;
  version: number;
  created_at: string;
}

/** The event's canonical JSON, byte for byte what `event_json(e)` returns in PostgreSQL. */
export function eventJson(r: SegmentRow): string {
  return `{"id":"${r.id}","event_type":"${r.event_type}","aggregate_type":"${r.aggregate_type}","aggregate_id":"${r.aggregate_id}"`
    + `,"sequence":${r.sequence},"position":${r.position},"payload":${r.payload},"metadata":${r.metadata}`
    + `,"version":${r.version},"created_at":"${r.created_at}"}`;
}

const KEYS_LENGTH = eventJson({ id: '', event_type: '', aggregate_type: '', aggregate_id: '', sequence: 0, position: 0, payload: '', metadata: '', version: 0, created_at: '' }).length - 3;

/** eventJson(r).length without building it: UTF-16 units, never more than the JSON's UTF-8 bytes. */
export function eventJsonLength(r: SegmentRow): number {
  return KEYS_LENGTH + r.id.length + r.event_type.length + r.aggregate_type.length + r.aggregate_id.length + String(r.sequence).length
    + String(r.position).length + r.payload.length + r.metadata.length + String(r.version).length + r.created_at.length;
}

const CREATED_AT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{6})Z$/;

export function createdAtMicros(createdAt: string): bigint {
  const m = CREATED_AT.exec(createdAt);
  if (m) {
    const [, y, mo, d, h, mi, s, us] = m.map(Number) as number[];
    const date = new Date(0);
    date.setUTCFullYear(y!, mo! - 1, d!);
    date.setUTCHours(h!, mi!, s!, 0);
    const micros = BigInt(date.getTime()) * 1000n + BigInt(us!);
    // Date rolls 2026-02-30 over to March: only an instant that formats back the same is real.
    if (createdAtFromMicros(micros) === createdAt) return micros;
  }
  throw new Error(`created_at must be a real instant like 2026-01-31T12:00:00.123456Z, got ${JSON.stringify(createdAt)}`);
}

/** created_at in event_json()'s format from microseconds since the epoch (years 1 to 9999). */
export function createdAtFromMicros(micros: bigint): string {
  let ms = micros / 1000n;
  let us = micros % 1000n;
  if (us < 0n) {
    us += 1000n;
    ms -= 1n;
  }
  const date = new Date(Number(ms));
  const year = String(date.getUTCFullYear()).padStart(4, '0');
  return `${year}${date.toISOString().slice(-20, -1)}${String(us).padStart(3, '0')}Z`;
}
