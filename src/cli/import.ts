import { fstatSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { request, type Target, withRetries } from './http.ts';
import { createProgress } from './progress.ts';

const BATCH = 1000;
const FIELDS = ['id', 'event_type', 'aggregate_type', 'aggregate_id', 'payload', 'metadata', 'version'] as const;

/**
 * Appends NDJSON events from stdin through POST /events/batch, 1000 at a time, keeping their
 * ids: an interrupted import can simply be run again (stored events come back as duplicates).
 * Positions, sequences and created_at are the target store's own.
 */
export async function importEvents(t: Target, retries: number): Promise<number> {
  const size = fstatSync(0).isFile() ? fstatSync(0).size : undefined;
  const progress = createProgress('importing', 'the input', size);
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  let batch: string[] = [];
  let count = 0;
  let bytes = 0;
  let lineNumber = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const body = `{"events":[${batch.join(',')}]}`;
    await withRetries(
      () => request(`${t.url}/events/batch`, { method: 'POST', headers: { ...t.headers, 'content-type': 'application/json' }, body }),
      retries,
      (e, n) => process.stderr.write(`import: ${e.message}; retry ${n} of ${retries}\n`),
    );
    count += batch.length;
    batch = [];
    progress.update(bytes, count);
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
      batch.push(JSON.stringify(Object.fromEntries(FIELDS.filter((f) => event[f] !== undefined).map((f) => [f, event[f]]))));
      if (batch.length >= BATCH) await flush();
    }
    await flush();
    return count;
  } finally {
    progress.stop();
  }
}
