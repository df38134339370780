import { countedDetail } from '../errors.ts';
import { eventInput } from '../events/append-input.ts';
import { findUnstorableJson } from '../events/json-guard.ts';
import { uuidv7 } from '../events/uuid.ts';
import { MAX_JSON_DEPTH } from '../http/json-body.ts';
import { storedEventSchema } from '../http/wire-schemas.ts';

/** What an export line has besides a batch item's fields: the source's own, left out (the target assigns its own). */
const SOURCE_ONLY = Object.keys(storedEventSchema.shape).filter((f) => !Object.hasOwn(eventInput.shape, f));
const KNOWN = new Set([...Object.keys(eventInput.shape), ...SOURCE_ONLY]);
/** A line is nested two levels down in the batch's body ({"events":[…]}), whose depth the service limits. */
const MAX_LINE_DEPTH = MAX_JSON_DEPTH - 2;

/** One input line as a batch item. */
export interface Item {
  line: number;
  text: string;
  aggregateId: string;
  /** The id was made here: running the import again would store the event again. */
  madeId: boolean;
}

/**
 * An NDJSON line as the batch item to send, or an Error naming the line. JSON that parsing would
 * change (big numbers, duplicate keys…) and unknown fields (a typo) are refused here, as the service
 * refuses them in a body: once parsed and written again, they would reach it changed or dropped.
 */
export function toItem(text: string, line: number, maxBytes: number): Item {
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch (error) {
    throw new Error(`line ${line} is not JSON (${(error as Error).message})`);
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) throw new Error(`line ${line} is not an event: it must be a JSON object`);
  const { issues, found } = findUnstorableJson(text, { maxDepth: MAX_LINE_DEPTH, size: { bytes: Buffer.byteLength(text), maxBytes } });
  if (found > 0) throw new Error(`${countedDetail(`line ${line} holds JSON that cannot be stored as sent`, found)}: ${issues.map((i) => `${i.pointer || '/'}: ${i.detail}`).join('; ')}`);
  const unknown = Object.keys(event).filter((f) => !KNOWN.has(f));
  if (unknown.length > 0) throw new Error(`line ${line}: unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((f) => `"${f}"`).join(', ')} (an event line has ${[...KNOWN].join(', ')})`);
  const item: Record<string, unknown> = Object.fromEntries(Object.entries(event).filter(([f]) => !SOURCE_ONLY.includes(f)));
  const madeId = item.id === undefined;
  if (madeId) item.id = uuidv7(); // a resent batch must not store an event twice
  return { line, text: JSON.stringify(item), aggregateId: String(item.aggregate_id).toLowerCase(), madeId };
}
