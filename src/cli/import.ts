import { fstatSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { runsWithin } from '../events/runs-within.ts';
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
 * stays within the service's limits: 1 MiB and `batchEvents` until a refusal names lower ones (a 413's
 * `limit_bytes`, a 422's `limit_events`), and then those; the batch refused is sent again in parts.
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

  // One batch's events, in order: all of them in one request, or in parts within the limits a refusal names.
  const send = async (lines: string[]): Promise<void> => {
    try {
      await withRetries(
        () => request(t, '/events/batch', { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"events":[${lines.join(',')}]}` }),
        retries,
        (e, n) => process.stderr.write(`import: ${e.message}; retry ${n} of ${retries}\n`),
      );
    } catch (error) {
      const limits = error instanceof HttpError ? limitsOf(error) : {};
      if (limits.bytes === undefined && limits.events === undefined) throw error;
      if (limits.bytes !== undefined && lines.length === 1) throw tooLarge(lines[0]!, limits.bytes);
      bodyLimit = Math.min(bodyLimit, limits.bytes ?? bodyLimit);
      batchEvents = Math.min(batchEvents, limits.events ?? batchEvents);
      const parts = runsWithin(lines, batchEvents, bodyLimit, (line) => Buffer.byteLength(line) + 1, ENVELOPE);
      if (parts.length === 1) throw error; // it fits the limits named: the refusal was for something else
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

/** The limits a refusal names: the body's (a 413's `limit_bytes`), the events' per batch (a 422's `limit_events`). */
function limitsOf(error: HttpError): { bytes?: number; events?: number } {
  const field = error.status === 413 ? 'limit_bytes' : error.status === 422 ? 'limit_events' : undefined;
  if (field === undefined) return {};
  let limit: unknown;
  try {
    limit = (JSON.parse(error.body) as Record<string, unknown>)[field];
  } catch {
    return {};
  }
  if (typeof limit !== 'number') return {};
  if (field === 'limit_bytes') return limit > ENVELOPE ? { bytes: limit } : {};
  return limit >= 1 ? { events: limit } : {};
}

/** An event whose batch of one is over the service's limit. */
function tooLarge(line: string, limit: number): Error {
  const event = JSON.parse(line) as { id?: string };
  return new Error(`event ${event.id} takes ${ENVELOPE + Buffer.byteLength(line)} bytes in a batch, more than the service accepts (${limit} bytes, its MAX_BODY_BYTES); the import stopped there, and running it again once the limit is raised adds only what is missing`);
}
