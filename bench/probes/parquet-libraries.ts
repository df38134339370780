// Which Parquet library writes archive segments (SPEC §8): each candidate encodes the same
// 100,000 events (payloads of about 300 bytes, as PostgreSQL's jsonb::text gives them) into
// row groups of 10,000 rows, then decodes all rows and one row group back to JS rows.
//   npx tsx bench/probes/parquet-libraries.ts            # every candidate
//   npx tsx bench/probes/parquet-libraries.ts hyparquet  # only those named
// Each candidate is installed alone into a scratch directory (footprint = du of that
// node_modules, dependencies = the packages npm put there), so the project keeps only the
// chosen one. Times are the median of 3 runs after a warm-up; the PostgreSQL row is
// pg_total_relation_size('events') / count over the same rows in a scratch database. A second
// table shows the chosen format, as src/lifecycle writes it, by row group size.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import postgres from 'postgres';
import { encodeSegment } from '../../src/lifecycle/segment-format.ts';
import { openSegment } from '../../src/lifecycle/segment-reader.ts';
import { createdAtFromMicros, type SegmentRow } from '../../src/lifecycle/segment-row.ts';
import { cleanup, createDatabase, median } from '../lib.ts';
import { candidates, type Candidate } from './parquet-candidates.ts';
import { probeEvents, type ProbeRow } from './parquet-events.ts';

const TOTAL = 100_000;
const ROW_GROUP = 10_000;
const SCRATCH = join(tmpdir(), 'parquet-library-probe');

async function install(c: Candidate): Promise<{ lib: any; bytes: number; packages: number }> {
  const dir = join(SCRATCH, c.name);
  if (!existsSync(join(dir, 'node_modules'))) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `probe-${c.name}`, private: true }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...c.packages], { cwd: dir, stdio: 'inherit' });
  }
  const importName = (spec: string) => spec.replace(/(?<=.)@.*$/, '');
  writeFileSync(join(dir, 'entry.mjs'), c.packages.map((p, i) => `export * as p${i} from '${importName(p)}';`).join('\n'));
  const lib = await import(pathToFileURL(join(dir, 'entry.mjs')).href);
  const bytes = Number(execFileSync('du', ['-sb', join(dir, 'node_modules')]).toString().split('\t')[0]);
  const installed = execFileSync('npm', ['ls', '--all', '--parseable'], { cwd: dir }).toString().trim().split('\n');
  return { lib, bytes, packages: installed.length - 1 };
}

async function timed(runs: number, op: () => Promise<unknown>): Promise<number> {
  await op();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await op();
    ms.push(performance.now() - t);
  }
  return median(ms);
}

async function postgresRows(): Promise<{ rows: ProbeRow[]; bytesPerEvent: number }> {
  const url = await createDatabase();
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`copy events (position, id, event_type, aggregate_type, aggregate_id, sequence, payload, metadata, version, created_at) from stdin`
      .writable()
      .then(async (copy) => {
        for (const line of probeEvents(TOTAL)) if (!copy.write(line)) await new Promise((r) => copy.once('drain', r));
        copy.end();
        await new Promise((r, j) => copy.on('finish', r).on('error', j));
      });
    await sql`vacuum analyze events`;
    const [size] = await sql<{ bytes: string }[]>`select pg_total_relation_size('events') as bytes`;
    const rows = await sql<ProbeRow[]>`
      select id, event_type, aggregate_type, aggregate_id, sequence::float8 as sequence, position::float8 as position,
             payload::text as payload, metadata::text as metadata, version,
             (extract(epoch from created_at) * 1000000)::int8 as created_at
      from events order by position`;
    for (const r of rows) r.created_at = BigInt(r.created_at);
    return { rows, bytesPerEvent: Number(size!.bytes) / TOTAL };
  } finally {
    await sql.end();
  }
}

const only = process.argv.slice(2);
const { rows, bytesPerEvent } = await postgresRows();
await cleanup();
const payloadBytes = rows.reduce((n, r) => n + Buffer.byteLength(r.payload), 0) / rows.length;
console.log(`${TOTAL} events, payload ${payloadBytes.toFixed(0)} B on average, row groups of ${ROW_GROUP}`);
console.log(`PostgreSQL (table + TOAST + indexes): ${bytesPerEvent.toFixed(1)} B/event\n`);
const header = ['library', 'codec', 'encode ev/s', 'decode all ev/s', 'decode 1 group ms', 'B/event', 'vs PG', 'install MB', 'packages', 'exact'];
const table: string[][] = [];
for (const c of candidates.filter((c) => only.length === 0 || only.includes(c.name))) {
  const { lib, bytes, packages } = await install(c);
  for (const codec of c.codecs) {
    const file = await c.encode(lib, rows, codec, ROW_GROUP);
    const decoded = await c.decodeAll(lib, file);
    const exact = decoded.length === rows.length && decoded.every((r, i) => sameRow(r, rows[i]!));
    const encodeMs = await timed(3, () => c.encode(lib, rows, codec, ROW_GROUP));
    const decodeMs = await timed(3, () => c.decodeAll(lib, file));
    const groupMs = await timed(3, () => c.decodeRowGroup(lib, file, 5, ROW_GROUP));
    table.push([c.name, codec, fmt(TOTAL / (encodeMs / 1000)), fmt(TOTAL / (decodeMs / 1000)), groupMs.toFixed(1),
      (file.byteLength / TOTAL).toFixed(1), `${((file.byteLength / TOTAL / bytesPerEvent) * 100).toFixed(0)}%`,
      (bytes / 1e6).toFixed(1), String(packages), exact ? 'yes' : `no (${firstDifference(decoded, rows)})`]);
  }
}
await Promise.all(candidates.map((c) => c.close?.()));
print(header, table);

// The chosen format as src/lifecycle wraps it: what the row group size costs a point read
// (one position, decoded from bytes in memory) against the file size.
const segmentRows: SegmentRow[] = rows.map((r) => ({ ...r, created_at: createdAtFromMicros(r.created_at) }));
const sizes: string[][] = [];
for (const rowGroupSize of [1_000, 5_000, 10_000, 50_000]) {
  const file = encodeSegment(segmentRows, { rowGroupSize });
  const segment = await openSegment(file);
  const encodeMs = await timed(3, async () => encodeSegment(segmentRows, { rowGroupSize }));
  const pointMs = await timed(5, () => segment.readPositions([TOTAL / 2]));
  const rangeMs = await timed(3, () => segment.readPositionRange(1, TOTAL));
  sizes.push([String(rowGroupSize), (file.byteLength / TOTAL).toFixed(1), fmt(TOTAL / (encodeMs / 1000)), fmt(TOTAL / (rangeMs / 1000)), pointMs.toFixed(1)]);
}
console.log('\nsrc/lifecycle/segment-format.ts by row group size');
print(['rows per group', 'B/event', 'encode ev/s', 'decode all ev/s', 'one position ms'], sizes);

function print(head: string[], body: string[][]) {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  for (const r of [head, widths.map((w) => '-'.repeat(w)), ...body]) console.log(r.map((v, i) => v.padEnd(widths[i]!)).join(' | '));
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function sameRow(a: ProbeRow, b: ProbeRow): boolean {
  return (Object.keys(b) as (keyof ProbeRow)[]).every((k) => a[k] === b[k]);
}

function firstDifference(decoded: ProbeRow[], rows: ProbeRow[]): string {
  if (decoded.length !== rows.length) return `${decoded.length} rows`;
  const i = decoded.findIndex((r, i) => !sameRow(r, rows[i]!));
  const key = (Object.keys(rows[i]!) as (keyof ProbeRow)[]).find((k) => decoded[i]![k] !== rows[i]![k])!;
  return `${key}: ${String(decoded[i]![key]).slice(0, 30)}`;
}
