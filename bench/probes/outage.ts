// PostgreSQL away under load: how long requests sent during the outage wait for an answer,
// how soon appends succeed again, and whether anything acknowledged was lost.
//   npx tsx bench/probes/outage.ts                    # stopped with -m immediate for 3 s
//   FAULT=blackhole npx tsx bench/probes/outage.ts    # a proxy in front stops answering for 3 s
// WRITERS (16) clients append one event at a time (a 503 is resent with the same id); besides
// them, every 100 ms a GET /events and a GET /health go out whether or not earlier ones were
// answered, so requests are sent during the outage even while every writer waits.
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { startPrivatePostgres } from '../../test/support/private-postgres.ts';
import { startTcpProxy } from '../../test/support/tcp-proxy.ts';
import { startService } from '../lib.ts';
import { percentile } from '../http-load.ts';

const fault = process.env.FAULT ?? 'immediate';
const writers = Number(process.env.WRITERS ?? 16);
const outageMs = Number(process.env.OUTAGE_MS ?? 3000);

const pg = await startPrivatePostgres();
const proxy = fault === 'blackhole' ? await startTcpProxy({ port: Number(new URL(pg.url).port) }) : undefined;
const url = proxy ? pg.url.replace(/:\d+\//, `:${proxy.port}/`) : pg.url;
const service = await startService({ DATABASE_URL: url, ...JSON.parse(process.env.SERVICE_ENV ?? '{}') });
const sql = postgres(pg.url, { max: 1, onnotice: () => {} });

interface Sent { kind: string; at: number; ms: number; status: number }
const sent: Sent[] = [];
const acked = new Map<string, number>();
let running = true;

async function writer() {
  let id = randomUUID();
  while (running) {
    const at = performance.now();
    let status = 0;
    try {
      const res = await fetch(`${service.url}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id, event_type: 'agent.created', aggregate_id: randomUUID(), payload: { n: sent.length } }),
      });
      status = res.status;
      const body = (await res.json()) as { position?: number };
      if (status === 200 || status === 201) acked.set(id, body.position!);
    } catch {
      status = -1;
    }
    sent.push({ kind: 'append', at, ms: performance.now() - at, status });
    if (status === 200 || status === 201) id = randomUUID();
    else await new Promise((r) => setTimeout(r, 50));
  }
}

async function read(kind: string, path: string) {
  const at = performance.now();
  const status = await fetch(service.url + path).then(async (res) => (await res.arrayBuffer(), res.status), () => -1);
  sent.push({ kind, at, ms: performance.now() - at, status });
}

try {
  const load = Array.from({ length: writers }, writer);
  const reads: Promise<void>[] = [];
  const ticker = setInterval(() => reads.push(read('read', '/events?limit=1'), read('health', '/health')), 100);
  await new Promise((r) => setTimeout(r, 2000));
  const down = performance.now();
  if (proxy) proxy.blackhole();
  else await pg.stopPrimary({ mode: 'immediate' });
  await new Promise((r) => setTimeout(r, outageMs));
  const up = performance.now();
  if (proxy) proxy.restore();
  else await pg.startPrimary();
  const accepting = performance.now();
  await new Promise((r) => setTimeout(r, 5000));
  running = false;
  clearInterval(ticker);
  await Promise.all([...load, ...reads]);

  const during = sent.filter((s) => s.at >= down && s.at < up);
  const summary = (kind: string) => {
    const mine = during.filter((s) => s.kind === kind);
    const ms = mine.map((s) => s.ms).sort((a, b) => a - b);
    const counts = new Map<number, number>();
    for (const s of mine) counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
    const statuses = [...counts].map(([k, v]) => `${k}: ${v}`).join(', ');
    return `${kind} ${mine.length} (${statuses}): p50 ${percentile(ms, 50).toFixed(0)} ms, max ${Math.max(...ms).toFixed(0)} ms`;
  };
  const firstOk = sent.filter((s) => s.kind === 'append' && s.at >= up && (s.status === 201 || s.status === 200)).sort((a, b) => a.at + a.ms - (b.at + b.ms))[0];
  const [row] = await sql<{ n: string; lo: string; hi: string }[]>`select count(*) as n, min(position) as lo, max(position) as hi from events`;
  const stored = new Set((await sql<{ id: string }[]>`select id::text from events`).map((r) => r.id));
  const lost = [...acked.keys()].filter((id) => !stored.has(id)).length;
  console.log(`fault ${fault}, ${outageMs} ms, ${writers} writers; PostgreSQL accepting again ${(accepting - up).toFixed(0)} ms after the fault ended`);
  console.log(`sent during the outage, answered in: ${['append', 'read', 'health'].map(summary).join('; ')}`);
  console.log(`slowest answer of the whole run: ${Math.max(...sent.map((s) => s.ms)).toFixed(0)} ms`);
  console.log(`first append acknowledged ${firstOk ? (firstOk.at + firstOk.ms - accepting).toFixed(0) : 'never'} ms after PostgreSQL accepted connections again`);
  console.log(`acknowledged ${acked.size}, lost ${lost}; stored ${row!.n}, positions ${row!.lo}..${row!.hi} ${Number(row!.hi) - Number(row!.lo) + 1 === Number(row!.n) ? 'gapless' : 'WITH GAPS'}`);
} finally {
  running = false;
  await sql.end();
  await service.stop();
  await proxy?.close();
  await pg.stop();
}
