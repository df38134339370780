import { fstatSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { uuidv7 } from '../events/uuid.ts';
import { HttpError, request, type Target, withRetries } from './http.ts';
import { createProgress } from './progress.ts';

/** Events per request unless --batch says otherwise (MAX_BATCH_EVENTS's default). */
export const BATCH = 1000;
/** The service's body limit unless a 413 names another (MAX_BODY_BYTES's default). */
const BODY_LIMIT = 1024 * 1024;
const ENVELOPE = Buffer.byteLength('{"events":[]}');
/** Batches sent at once: the service has the next one while it commits one. */
export const IN_FLIGHT = 4;
const FIELDS = ['id', 'event_type', 'aggregate_type', 'aggregate_id', 'payload', 'metadata', 'version'] as const;

interface Batch {
  lines: string[];
  bytes: number;
  aggregates: Set<string>;
}

/**
 * Appends NDJSON from stdin through POST /events/batch, keeping ids so a rerun is safe (duplicates);
 * an event without one gets a UUIDv7 here, so that a batch resent after a 503 or a lost answer stores it once.
 * Batches in flight never share an aggregate, so each aggregate keeps the input's order. A batch
 * stays within the service's body limit: 1 MiB until a 413 names the limit, and then that one.
 */
export async function importEvents(t: Target, retries: number, inFlight = IN_FLIGHT, batchEvents = BATCH): Promise<number> {
  const size = fstatSync(0).isFile() ? fstatSync(0).size : undefined;
  const progress = createProgress('importing', 'the input', size);
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  const sent = new Map<Batch, Promise<void>>();
  let failure: Error | undefined;
  let batch: Batch = { lines: [], bytes: ENVELOPE, aggregates: new Set() };
  let count = 0;
  let bytes = 0;
  let lineNumber = 0;
  let bodyLimit = BODY_LIMIT;

  // One batch's events, in order: all of them in one request, or in parts within a limit a 413 names.
  const send = async (lines: string[]): Promise<void> => {
    try {
      await withRetries(
        () => request(t, '/events/batch', { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"events":[${lines.join(',')}]}` }),
        retries,
        (e, n) => process.stderr.write(`import: ${e.message}; retry ${n} of ${retries}\n`),
      );
    } catch (error) {
      const limit = error instanceof HttpError && error.status === 413 ? limitOf(error.body) : undefined;
      if (limit === undefined) throw error;
      if (lines.length === 1) throw tooLarge(lines[0]!, limit);
      bodyLimit = Math.min(bodyLimit, limit);
      const parts = within(lines, bodyLimit);
      if (parts.length === 1) throw error; // it fits the limit named: the 413 was for something else
      for (const part of parts) await send(part);
      return;
    }
    count += lines.length;
    progress.update(bytes, count);
  };
  const post = async (b: Batch) => {
    try {
      await send(b.lines);
    } catch (error) {
      failure ??= error as Error;
    } finally {
      sent.delete(b);
    }
  };
  const flush = async () => {
    if (batch.lines.length === 0) return;
    const next = batch;
    batch = { lines: [], bytes: ENVELOPE, aggregates: new Set() };
    for (;;) {
      const sharing = [...sent].filter(([b]) => [...next.aggregates].some((a) => b.aggregates.has(a))).map(([, p]) => p);
      if (sharing.length === 0 && sent.size < inFlight) break;
      await Promise.race(sharing.length > 0 ? sharing : sent.values());
    }
    if (failure) throw failure;
    sent.set(next, post(next));
  };
  try {
    for await (const line of lines) {
      lineNumber++;
      bytes += Buffer.byteLength(line) + 1;
      if (!line.trim()) continue;
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`line ${lineNumber} is not JSON`);
      }
      const fields = Object.fromEntries(FIELDS.filter((f) => event[f] !== undefined).map((f) => [f, event[f]]));
      fields.id ??= uuidv7(); // a resent batch must not store an event twice
      const text = JSON.stringify(fields);
      const size = Buffer.byteLength(text) + 1;
      if (batch.bytes + size > bodyLimit) await flush();
      batch.lines.push(text);
      batch.bytes += size;
      batch.aggregates.add(String(event.aggregate_id).toLowerCase());
      if (batch.lines.length >= batchEvents) await flush();
    }
    await flush();
    await Promise.all(sent.values());
    if (failure) throw failure;
    return count;
  } finally {
    await Promise.all(sent.values());
    progress.stop();
  }
}

/** The body limit a 413 names (`limit_bytes`), if it names one. */
function limitOf(body: string): number | undefined {
  try {
    const limit = (JSON.parse(body) as { limit_bytes?: unknown }).limit_bytes;
    return typeof limit === 'number' && limit > ENVELOPE ? limit : undefined;
  } catch {
    return undefined;
  }
}

/** Events in order, in runs whose batch body stays within `limit` bytes (an event larger than that alone). */
function within(lines: string[], limit: number): string[][] {
  const parts: string[][] = [];
  let part: string[] = [], bytes = ENVELOPE;
  for (const line of lines) {
    const size = Buffer.byteLength(line) + 1;
    if (part.length > 0 && bytes + size > limit) {
      parts.push(part);
      [part, bytes] = [[], ENVELOPE];
    }
    part.push(line);
    bytes += size;
  }
  if (part.length > 0) parts.push(part);
  return parts;
}

/** An event whose batch of one is over the service's limit. */
function tooLarge(line: string, limit: number): Error {
  const event = JSON.parse(line) as { id?: string };
  return new Error(`event ${event.id} takes ${ENVELOPE + Buffer.byteLength(line)} bytes in a batch, more than the service accepts (${limit} bytes, its MAX_BODY_BYTES); the import stopped there, and running it again once the limit is raised adds only what is missing`);
}
