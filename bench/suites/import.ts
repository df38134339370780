import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import postgres, { type TransactionSql } from 'postgres';
import { seededAggregateId } from '../seed.ts';
import { createDatabase, ensureBuilt, ROOT, startService, waitForRelay } from '../lib.ts';
import type { Suite } from './index.ts';

export const EVENTS = Number(process.env.BENCH_IMPORT_EVENTS ?? 1_000_000);
const PER_AGGREGATE = 10;

/** NDJSON as `events-service export` writes it: aggregates of 10 events, interleaved. */
export async function writeNdjson(path: string, total: number) {
  const aggregates = Math.max(1, Math.floor(total / PER_AGGREGATE));
  async function* lines() {
    let chunk = '';
    for (let g = 1; g <= total; g++) {
      const n = (g - 1) % aggregates;
      const type = ['agent', 'task', 'plan', 'run'][n % 4]!;
      const sequence = Math.floor((g - 1) / aggregates) + 1;
      chunk += `{"id":"${seededAggregateId(total + g)}","event_type":"${type}.${sequence === 1 ? 'created' : 'updated'}","aggregate_type":"${type}",`
        + `"aggregate_id":"${seededAggregateId(n)}","sequence":${sequence},"position":${g},"payload":{"name":"explore-agent","step":${g},"ok":true},`
        + `"metadata":{"correlation_id":"corr-${Math.floor(g / 5)}","source_service":"import"},"version":1,"created_at":"${new Date(Date.parse('2026-01-01T00:00:00Z') + g).toISOString()}"}\n`;
      if (chunk.length > 65_536) {
        yield chunk;
        chunk = '';
      }
    }
    yield chunk;
  }
  await pipeline(Readable.from(lines()), createWriteStream(path));
}

/**
 * The baseline: the same rows loaded by COPY into the same tables with all their indexes, read
 * and parsed from the same NDJSON file by this process: events with positions 1..N, their ids,
 * then their aggregates (from a staging table). One transaction.
 */
export async function copyBaseline(url: string, path: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connection: { statement_timeout: 0 } as never });
  await sql`select events_add_partitions(${EVENTS + 1})`;
  const started = performance.now();
  await sql.begin(async (tx) => {
    await tx`create temp table staged_ids (id uuid, position bigint) on commit drop`;
    const events = await eventsCopy(tx);
    const ids: string[] = [];
    const now = new Date().toISOString();
    let position = 0;
    let chunk = '';
    for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
      if (!line) continue;
      const e = JSON.parse(line);
      position++;
      chunk += eventCopyRow(position, e.sequence, e, now);
      ids.push(`${e.id}\t${position}\n`);
      if (chunk.length > 65_536 && !events.write(chunk)) await new Promise((r) => events.once('drain', r));
      if (chunk.length > 65_536) chunk = '';
    }
    events.end(chunk);
    await new Promise((r) => events.once('finish', r));
    const idCopy = await tx`copy event_ids (id, position) from stdin`.writable();
    await pipeline(Readable.from(chunks(ids)), idCopy);
    await tx`insert into aggregates (aggregate_id, aggregate_type, last_sequence, first_position, last_position)
      select aggregate_id, aggregate_type, max(sequence), min(position), max(position) from events group by 1, 2`;
    await tx`update events_head set last_position = ${position}, last_created_at = now()`;
  });
  const seconds = (performance.now() - started) / 1000;
  await sql.end();
  return EVENTS / seconds;
}

function* chunks(lines: string[]) {
  for (let i = 0; i < lines.length; i += 4096) yield lines.slice(i, i + 4096).join('');
}

/** COPY into `events` with every column, in eventCopyRow()'s order. */
export const eventsCopy = (tx: TransactionSql) =>
  tx`copy events (position, id, event_type, aggregate_type, aggregate_id, sequence, payload, metadata, version, created_at) from stdin`.writable();

export interface ImportedEvent { id: string; event_type: string; aggregate_type: string; aggregate_id: string; payload: unknown; metadata: unknown; version: number }

/** One `events` row in COPY text format, at `position` with `sequence`. */
export const eventCopyRow = (position: number, sequence: number, e: ImportedEvent, createdAt: string) =>
  `${position}\t${e.id}\t${e.event_type}\t${e.aggregate_type}\t${e.aggregate_id}\t${sequence}\t${escapeCopy(JSON.stringify(e.payload))}\t${escapeCopy(JSON.stringify(e.metadata))}\t${e.version}\t${createdAt}\n`;

// COPY text format: backslash, tab, newline and carriage return are escaped.
const escapeCopy = (s: string) => s.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!);

/** `events-service import` (compiled, as the suites run the service) reading the file on stdin; resolves with events/s acknowledged. */
async function importRate(serviceUrl: string, path: string): Promise<number> {
  ensureBuilt();
  const started = performance.now();
  const child = spawn(process.execPath, [join(ROOT, 'dist/main.js'), 'import', '--url', serviceUrl], { stdio: [openSync(path, 'r'), 'ignore', 'inherit'] });
  const code = await new Promise<number>((r) => child.once('exit', (c) => r(c ?? 1)));
  if (code !== 0) throw new Error(`import exited with ${code}`);
  return EVENTS / ((performance.now() - started) / 1000);
}

const suite: Suite = {
  name: 'import',
  description: `events-service import of ${EVENTS.toLocaleString('en')} NDJSON events against COPY of the same rows`,
  async run(record) {
    const dir = mkdtempSync(join(tmpdir(), 'evbench-import-'));
    try {
      const path = join(dir, 'events.ndjson');
      await writeNdjson(path, EVENTS);
      const copy = await copyBaseline(await createDatabase(), path);
      const url = await createDatabase();
      const service = await startService({ DATABASE_URL: url });
      const ours = await importRate(service.url, path);
      const relayStarted = performance.now();
      await waitForRelay(service.url, 900_000);
      const relaySeconds = (performance.now() - relayStarted) / 1000;
      await service.stop();
      const sql = postgres(url, { max: 1, onnotice: () => {} });
      const [stored] = await sql`select count(*)::int as n from events`;
      await sql.end();
      if (stored!.n !== EVENTS) throw new Error(`imported ${stored!.n} events, not ${EVENTS}`);
      record({ suite: 'import', name: `COPY of the same rows (events, event_ids, aggregates)`, value: copy, unit: 'events/s' });
      record({ suite: 'import', name: `events-service import`, value: ours, unit: 'events/s', baseline: 'COPY', ratio: ours / copy, note: `relay published the rest ${relaySeconds.toFixed(1)} s after the import ended` });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
export default suite;
