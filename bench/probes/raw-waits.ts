// What pgbench's connections wait for while they write the appends suite's raw rows, and what a
// transaction costs the whole machine: why the raw baseline's rate falls as connections grow.
//   npx tsx bench/probes/raw-waits.ts [clients ...]      (default 4 64; 8 s each)
// pg_stat_activity of the benchmark's client backends is sampled every 20 ms: the share of
// samples per wait event (or state, when waiting on nothing). machine: the CPU time of every
// process per transaction (/proc/stat).
import postgres from 'postgres';
import { cleanup, machineCpuMs } from '../lib.ts';
import { pgbench, rawAppendScript, rawDatabase } from '../pgbench.ts';

const SECONDS = 8;
const clients = process.argv.slice(2).map(Number);
const url = await rawDatabase();
const sql = postgres(url, { max: 1, onnotice: () => {} });
try {
  for (const c of clients.length > 0 ? clients : [4, 64]) {
    const samples = new Map<string, number>();
    let running = true;
    const sampler = (async () => {
      while (running) {
        const rows = await sql<{ w: string; n: number }[]>`
          select coalesce(wait_event_type || ':' || wait_event, state) as w, count(*)::int as n from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend' group by 1`;
        for (const r of rows) samples.set(r.w, (samples.get(r.w) ?? 0) + r.n);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const cpu = machineCpuMs();
    const { tps } = await pgbench(url, rawAppendScript(1), { clients: c, seconds: SECONDS });
    const machine = (machineCpuMs() - cpu) / (tps * SECONDS);
    running = false;
    await sampler;
    const total = [...samples.values()].reduce((a, b) => a + b, 0);
    const top = [...samples].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([w, n]) => `${w} ${((100 * n) / total).toFixed(1)}%`);
    console.log(`c=${c}: ${Math.round(tps)} transactions/s, machine ${machine.toFixed(3)} ms each | ${top.join(', ')}`);
  }
} finally {
  await sql.end();
  await cleanup();
}
