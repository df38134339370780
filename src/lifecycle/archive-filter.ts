import type { EventQuery } from '../events/query-input.ts';
import { createdAtMicros, type SegmentRow } from './segment-row.ts';

/** Microseconds since the epoch of an instant as parseInstant() writes it (`…T…​.ffffff+hh:mm`). */
export function instantMicros(instant: string): bigint {
  const m = /^(.*T\d{2}:\d{2}:\d{2})\.(\d{6})([+-]\d{2}:\d{2})$/.exec(instant);
  if (!m) throw new Error(`not an instant: ${instant}`);
  return BigInt(Date.parse(`${m[1]}${m[3]}`)) * 1000n + BigInt(m[2]!);
}

/** GET /events' filters applied to an archived event, meaning what they mean in SQL; position bounds are the caller's. */
export function rowFilter(q: Pick<EventQuery, 'aggregateType' | 'aggregateId' | 'eventType' | 'correlationId' | 'from' | 'to'>): (r: SegmentRow) => boolean {
  const from = q.from === undefined ? null : instantMicros(q.from);
  const to = q.to === undefined ? null : instantMicros(q.to);
  return (r) => {
    if (q.aggregateType !== undefined && r.aggregate_type !== q.aggregateType) return false;
    if (q.aggregateId !== undefined && r.aggregate_id !== q.aggregateId) return false;
    if (q.eventType !== undefined && r.event_type !== q.eventType) return false;
    if (from !== null || to !== null) {
      const at = createdAtMicros(r.created_at);
      if ((from !== null && at < from) || (to !== null && at >= to)) return false;
    }
    if (q.correlationId !== undefined && correlationOf(r.metadata) !== q.correlationId) return false;
    return true;
  };
}

// metadata ->> 'correlation_id': a string as it is, any other JSON value as its text, null as SQL NULL.
function correlationOf(metadata: string): string | null {
  if (!metadata.includes('"correlation_id"')) return null;
  const value = (JSON.parse(metadata) as Record<string, unknown>).correlation_id;
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}
