// Could an import reach 0.8x COPY inside the ordering contract? Database side only (no HTTP, no
// validation): the import suite's NDJSON file loaded three ways, each on a fresh database.
//   BENCH_IMPORT_EVENTS=200000 npx tsx bench/probes/import-paths.ts [rounds, default 2]
//   copy            the import suite's baseline: one transaction, COPY events and event_ids, aggregates by GROUP BY
//   append_events   what the service does: append_events() over 2,000 items a call (GROUP_COMMIT_MAX_EVENTS)
//   append_events, grouped   the same with each aggregate's events together (a call touches 200 aggregates, not ~2,000)
//   locked COPY N   a path the service does not have: per chunk of N events one transaction holding the head
//                   lock (as every append does, SPEC §5), the chunk's stored ids and its aggregates' sequences
//                   looked up, positions and sequences given here, COPY of events and event_ids, aggregates
//                   upserted, head moved. The head stays locked for the whole chunk: live appends wait that long.
// Prints events/s and the ratio to COPY in the same round; contenders alternate order by round.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import postgres from 'postgres';
import { cleanup, createDatabase, median } from '../lib.ts';
import { copyBaseline, eventCopyRow, eventsCopy, EVENTS, type ImportedEvent as Line, writeNdjson } from '../suites/import.ts';

const GROUP = 2_000;
const CHUNKS = [10_000, 50_000];

async function appendEvents(url: string, lines: Line[]): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const started = performance.now();
  for (let c = 0; c < lines.length; c += GROUP) {
    const text = JSON.stringify(lines.slice(c, c + GROUP).map((e, idx) => ({ idx, ...e })));
    await sql`select count(*) from append_events(${text}::text::jsonb)`;
  }
  const rate = lines.length / ((performance.now() - started) / 1000);
  await sql.end();
  return rate;
}

async function lockedCopy(url: string, lines: Line[], chunk: number): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  await sql`select events_add_partitions(${lines.length + 1})`;
  const started = performance.now();
  for (let c = 0; c < lines.length; c += chunk) {
    const events = lines.slice(c, c + chunk);
    await sql.begin(async (tx) => {
      const [head] = await tx<{ last_position: string; now: Date }[]>`
        select last_position, greatest(clock_timestamp(), last_created_at) as now from events_head where singleton for update`;
      const stored = await tx`select id from event_ids where id = any(${events.map((e) => e.id)}::uuid[])`;
      if (stored.length > 0) throw new Error('the probe imports into an empty store');
      const key = (e: Line) => `${e.aggregate_type}/${e.aggregate_id}`;
      const aggregates = new Map(events.map((e) => [key(e), { type: e.aggregate_type, id: e.aggregate_id, sequence: 0, first: 0, last: 0 }]));
      const touched = [...aggregates.values()];
      const current = await tx<{ aggregate_type: string; aggregate_id: string; last_sequence: string }[]>`
        select a.aggregate_type, a.aggregate_id::text, a.last_sequence from aggregates a
        join unnest(${touched.map((a) => a.id)}::uuid[], ${touched.map((a) => a.type)}::text[]) k(id, t)
          on a.aggregate_id = k.id and a.aggregate_type = k.t`;
      for (const r of current) aggregates.get(`${r.aggregate_type}/${r.aggregate_id}`)!.sequence = Number(r.last_sequence);
      let position = Number(head!.last_position);
      const now = head!.now.toISOString();
      let rows = '';
      let ids = '';
      for (const e of events) {
        const a = aggregates.get(key(e))!;
        position++;
        a.sequence++;
        a.first ||= position;
        a.last = position;
        rows += eventCopyRow(position, a.sequence, e, now);
        ids += `${e.id}\t${position}\n`;
      }
      await pipeline(Readable.from([rows]), await eventsCopy(tx));
      await pipeline(Readable.from([ids]), await tx`copy event_ids (id, position) from stdin`.writable());
      await tx`insert into aggregates as a (aggregate_id, aggregate_type, last_sequence, first_position, last_position)
        select * from unnest(${touched.map((a) => a.id)}::uuid[], ${touched.map((a) => a.type)}::text[], ${touched.map((a) => a.sequence)}::bigint[],
                             ${touched.map((a) => a.first)}::bigint[], ${touched.map((a) => a.last)}::bigint[])
        on conflict (aggregate_id, aggregate_type) do update set last_sequence = excluded.last_sequence, last_position = excluded.last_position`;
      await tx`update events_head set last_position = ${position}, last_created_at = ${now} where singleton`;
    });
  }
  const rate = lines.length / ((performance.now() - started) / 1000);
  const [check] = await sql<{ n: number; head: string }[]>`select (select count(*)::int from events) n, (select last_position from events_head) head`;
  if (check!.n !== lines.length || Number(check!.head) !== lines.length) throw new Error(`locked COPY stored ${check!.n} events, head ${check!.head}`);
  await sql.end();
  return rate;
}

const dir = mkdtempSync(join(tmpdir(), 'evbench-import-paths-'));
try {
  const path = join(dir, 'events.ndjson');
  await writeNdjson(path, EVENTS);
  const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => {
    const { id, event_type, aggregate_type, aggregate_id, payload, metadata, version } = JSON.parse(l) as Line;
    return { id, event_type, aggregate_type, aggregate_id, payload, metadata, version };
  });
  // Stable: each aggregate's events keep their order (their sequences).
  const grouped = [...lines].sort((a, b) => (a.aggregate_id < b.aggregate_id ? -1 : a.aggregate_id > b.aggregate_id ? 1 : 0));
  const contenders: [string, (url: string) => Promise<number>][] = [
    ['append_events', (url) => appendEvents(url, lines)],
    ['append_events, grouped', (url) => appendEvents(url, grouped)],
    ...CHUNKS.map((n): [string, (url: string) => Promise<number>] => [`locked COPY ${n.toLocaleString('en')}`, (url) => lockedCopy(url, lines, n)]),
  ];
  const ratios = new Map<string, number[]>(contenders.map(([name]) => [name, []]));
  const rounds = Number(process.argv[2] ?? 2);
  for (let round = 0; round < rounds; round++) {
    const copy = await copyBaseline(await createDatabase(), path);
    const out = [`round ${round + 1}: copy ${copy.toFixed(0)}/s`];
    for (const [name, run] of round % 2 ? [...contenders].reverse() : contenders) {
      const rate = await run(await createDatabase());
      ratios.get(name)!.push(rate / copy);
      out.push(`${name} ${rate.toFixed(0)}/s ${(rate / copy).toFixed(2)}x`);
    }
    console.log(out.join(' | '));
  }
  console.log(`medians of ${EVENTS.toLocaleString('en')} events: ${[...ratios].map(([name, r]) => `${name} ${median(r).toFixed(2)}x`).join(', ')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
  await cleanup();
}
