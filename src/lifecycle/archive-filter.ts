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

const KEY = '"correlation_id"';

/**
 * metadata ->> 'correlation_id' on the segment's metadata, which is PostgreSQL's jsonb text
 * (hot-tier.ts reads metadata::text): a string unescaped, null as SQL NULL, any other value as
 * PostgreSQL writes it there (its spacing, key order and numeric text), which is the raw text of
 * the top-level value. Scanned rather than parsed: nothing but the answer is built.
 */
function correlationOf(metadata: string): string | null {
  if (!metadata.includes(KEY)) return null;
  let i = skipSpace(metadata, metadata.indexOf('{') + 1);
  while (metadata[i] === '"') {
    const keyEnd = skipString(metadata, i);
    const start = skipSpace(metadata, skipSpace(metadata, keyEnd) + 1);
    const end = skipValue(metadata, start);
    if (keyEnd - i === KEY.length && metadata.startsWith(KEY, i)) {
      const value = metadata.slice(start, end);
      return value[0] === '"' ? (JSON.parse(value) as string) : value === 'null' ? null : value;
    }
    i = skipSpace(metadata, end);
    if (metadata[i] !== ',') break;
    i = skipSpace(metadata, i + 1);
  }
  return null;
}

const skipSpace = (s: string, i: number) => {
  while (s[i] === ' ' || s[i] === '\n' || s[i] === '\t' || s[i] === '\r') i++;
  return i;
};

// From an opening quote to just past the closing one.
function skipString(s: string, i: number): number {
  for (i++; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i + 1;
  }
  return i;
}

function skipValue(s: string, i: number): number {
  if (s[i] === '"') return skipString(s, i);
  if (s[i] !== '{' && s[i] !== '[') {
    while (i < s.length && !',}] \n\t\r'.includes(s[i]!)) i++;
    return i;
  }
  for (let depth = 0; i < s.length; ) {
    const c = s[i];
    if (c === '"') {
      i = skipString(s, i);
      continue;
    }
    if (c === '{' || c === '[') depth++;
    else if ((c === '}' || c === ']') && --depth === 0) return i + 1;
    i++;
  }
  return i;
}
