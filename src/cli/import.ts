import { fstatSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { uuidv7 } from '../events/uuid.ts';
import { request, type Target, withRetries } from './http.ts';
import { createProgress } from './progress.ts';

const BATCH = 1000;
/** Batches sent at once: the service has the next one while it commits one. */
export const IN_FLIGHT = 4;
const FIELDS = ['id', 'event_type', 'aggregate_type', 'aggregate_id', 'payload', 'metadata', 'version'] as const;

interface Batch {
  lines: string[];
  aggregates: Set<string>;
}

/**
 * Appends NDJSON from stdin through POST /events/batch, keeping ids so a rerun is safe (duplicates);
 * an event without one gets a UUIDv7 here, so that a batch resent after a 503 or a lost answer stores it once.
 * Batches in flight never share an aggregate, so each aggregate keeps the input's order.
 */
export async function importEvents(t: Target, retries: number, inFlight = IN_FLIGHT): Promise<number> {
  const size = fstatSync(0).isFile() ? fstatSync(0).size : undefined;
  const progress = createProgress('importing', 'the input', size);
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  const sent = new Map<Batch, Promise<void>>();
  let failure: Error | undefined;
  let batch: Batch = { lines: [], aggregates: new Set() };
  let count = 0;
  let bytes = 0;
  let lineNumber = 0;

  const post = async (b: Batch) => {
    try {
      await withRetries(
        () => request(t, '/events/batch', { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"events":[${b.lines.join(',')}]}` }),
        retries,
        (e, n) => process.stderr.write(`import: ${e.message}; retry ${n} of ${retries}\n`),
      );
      count += b.lines.length;
      progress.update(bytes, count);
    } catch (error) {
      failure ??= error as Error;
    } finally {
      sent.delete(b);
    }
  };
  const flush = async () => {
    if (batch.lines.length === 0) return;
    const next = batch;
    batch = { lines: [], aggregates: new Set() };
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
      batch.lines.push(JSON.stringify(fields));
      batch.aggregates.add(String(event.aggregate_id).toLowerCase());
      if (batch.lines.length >= BATCH) await flush();
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
