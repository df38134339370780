import { createInterface } from 'node:readline';
import { failOn, type Target } from './http.ts';

const BATCH = 1000;

/**
 * events-service import < events.ndjson
 * Appends exported events through POST /events/batch, 1000 at a time, keeping their ids (so an
 * interrupted import can simply be run again: stored events come back as duplicates). Positions,
 * sequences and created_at are the target store's own.
 */
export async function importEvents(t: Target): Promise<number> {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  let batch: unknown[] = [];
  let count = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const res = await fetch(`${t.url}/events/batch`, { method: 'POST', headers: { ...t.headers, 'content-type': 'application/json' }, body: JSON.stringify({ events: batch }) });
    await failOn(res, 'POST /events/batch');
    count += batch.length;
    batch = [];
    process.stderr.write(`\rimported ${count.toLocaleString()} events`);
  };
  for await (const line of lines) {
    if (!line.trim()) continue;
    const e = JSON.parse(line) as Record<string, unknown>;
    batch.push({ id: e.id, event_type: e.event_type, aggregate_type: e.aggregate_type, aggregate_id: e.aggregate_id, payload: e.payload, metadata: e.metadata, version: e.version });
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  process.stderr.write(`\rimported ${count.toLocaleString()} events\n`);
  return count;
}
