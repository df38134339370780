import { fstatSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { runsWithin } from '../events/runs-within.ts';
import { HttpError, request, type Target, withRetries } from './http.ts';
import { type Item, toItem } from './import-line.ts';
import { createProgress } from './progress.ts';

/** Events per request unless --batch says otherwise (MAX_BATCH_EVENTS's default). */
export const BATCH = 1000;
/** The service's body limit unless a 413 names another (MAX_BODY_BYTES's default). */
const BODY_LIMIT = 1024 * 1024;
const ENVELOPE = Buffer.byteLength('{"events":[]}');
/** Batches sent at once: the service has the next one while it commits one. */
export const IN_FLIGHT = 4;

interface Batch {
  items: Item[];
  bytes: number;
  aggregates: Set<string>;
}

/**
 * Appends NDJSON from stdin through POST /events/batch, keeping ids so a rerun is safe (duplicates);
 * an event without one gets a UUIDv7 here, so that a batch resent after a 503 or a lost answer stores it once.
 * Each line is checked as the service checks a body (./import-line.ts); a failure names the input line.
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
  let batch: Batch = { items: [], bytes: ENVELOPE, aggregates: new Set() };
  let count = 0;
  let madeIds = 0;
  let bytes = 0;
  let lineNumber = 0;
  let bodyLimit = BODY_LIMIT;

  // One batch's events, in order: all of them in one request, or in parts within the limits a refusal names.
  const send = async (items: Item[]): Promise<void> => {
    try {
      await withRetries(
        () => request(t, '/events/batch', { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"events":[${items.map((i) => i.text).join(',')}]}` }),
        retries,
        (e, n) => process.stderr.write(`import: ${e.message}; retry ${n} of ${retries}\n`),
      );
    } catch (error) {
      const limits = error instanceof HttpError ? limitsOf(error) : {};
      if (limits.bytes === undefined && limits.events === undefined) throw atLines(error as Error, items);
      if (limits.bytes !== undefined && items.length === 1) throw tooLarge(items[0]!, limits.bytes);
      bodyLimit = Math.min(bodyLimit, limits.bytes ?? bodyLimit);
      batchEvents = Math.min(batchEvents, limits.events ?? batchEvents);
      const parts = runsWithin(items, batchEvents, bodyLimit, (i) => Buffer.byteLength(i.text) + 1, ENVELOPE);
      if (parts.length === 1) throw atLines(error as Error, items); // it fits the limits named: the refusal was for something else
      for (const part of parts) await send(part);
      return;
    }
    count += items.length;
    madeIds += items.filter((i) => i.madeId).length;
    progress.update(bytes, count);
  };
  const post = async (b: Batch) => {
    try {
      await send(b.items);
    } catch (error) {
      failure ??= error as Error;
    } finally {
      sent.delete(b);
    }
  };
  const flush = async () => {
    if (batch.items.length === 0) return;
    const next = batch;
    batch = { items: [], bytes: ENVELOPE, aggregates: new Set() };
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
      const item = toItem(line, lineNumber, bodyLimit);
      const size = Buffer.byteLength(item.text) + 1;
      if (batch.bytes + size > bodyLimit) await flush();
      batch.items.push(item);
      batch.bytes += size;
      batch.aggregates.add(item.aggregateId);
      if (batch.items.length >= batchEvents) await flush();
    }
    await flush();
    await Promise.all(sent.values());
    if (failure) throw failure;
    return count;
  } catch (error) {
    await Promise.all(sent.values()); // the count to report is final once every batch in flight has its answer
    throw stopped(failure ?? (error as Error), count, madeIds);
  } finally {
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
function tooLarge(item: Item, limit: number): Error {
  const event = JSON.parse(item.text) as { id?: string };
  return new Error(`line ${item.line}: event ${event.id} takes ${ENVELOPE + Buffer.byteLength(item.text)} bytes in a batch, more than the service accepts (${limit} bytes, its MAX_BODY_BYTES)`);
}

/**
 * A batch's failure named by input line: a refusal's `index` (a 409) and the `/events/<i>` of its
 * field errors (a 422) are places in the batch; anything else, such as an unreachable service, is the whole batch's.
 */
function atLines(error: Error, items: Item[]): Error {
  const lineOf = (i: string | number) => items[Number(i)]?.line ?? `?`;
  let index: unknown;
  try {
    index = error instanceof HttpError ? (JSON.parse(error.body) as { index?: unknown }).index : undefined;
  } catch {
    // not problem+json: no index to name
  }
  const fields = error.message.replace(/\/events\/(\d+)(\/[^\s:]*)?/g, (_, i: string, rest?: string) => `line ${lineOf(i)}${rest ? ` ${rest}` : ''}`);
  const first = /^\s+line (\d+)/m.exec(fields)?.[1];
  if (typeof index === 'number') return new Error(`line ${lineOf(index)}: ${fields}`);
  if (first !== undefined) return new Error(`line ${first}: ${fields}`);
  const [from, to] = [items[0]!.line, items[items.length - 1]!.line];
  return new Error(`${from === to ? `line ${from}` : `lines ${from} to ${to}`}: ${fields}`);
}

/** Why the import stopped, and what is already stored: a rerun stores only what is missing, but again each stored event that came without an id. */
function stopped(error: Error, count: number, madeIds: number): Error {
  const rerun = madeIds === 0 ? 'running it again stores only what is missing' : `running it again stores only what is missing, but again the ${madeIds} of them that came without an id`;
  return new Error(`${error.message}\nthe import stopped there, with ${count} event${count === 1 ? '' : 's'} stored (new or already there); ${rerun}`);
}
