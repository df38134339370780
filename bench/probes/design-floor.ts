// Which of #17's goals any design on this machine can reach, and how far ours is from each floor.
//   npx tsx bench/probes/design-floor.ts          (BENCH_DURATION_S per figure, ROUNDS rounds, default 2)
//   ONLY=c=1 npx tsx bench/probes/design-floor.ts (one workload: c=1, c=4, c=16, c=64 or batch)
// Per workload (single events at 1, 4, 16 and 64 connections; batches of 100 at 16), in
// alternating rounds, each on a fresh database:
//   raw      pgbench, the raw INSERT of the appends suite (one statement per transaction);
//   serial   pgbench, one writer at a time with perfect group commit: `locked_append(g)` takes the
//            events_head lock, writes g raw rows at the next positions and moves the head, on
//            two connections (two transactions in flight, as APPEND_MAX_IN_FLIGHT=2), g = c/2 (at
//            c=1: one connection, g=1). The bound of the design (SPEC §5) without our code;
//   floor    node-floor-server.ts over HTTP (wrk, as the suite): node:http, JSON.parse and the
//            raw rows in one prepared statement per request on c connections (at most 16: with
//            pgbench's 64 beside them PostgreSQL's 100 would not do). The bound of any
//            Node HTTP front-end here, with no ordering, checks, publishing or metrics;
//   locked   at c=1 only, the floor writing its rows under the events_head lock at the next
//            positions (LOCKED=1): the bound of our design behind a Node HTTP front-end, where
//            group commit has nothing to share;
//   ours     the service, as the appends suite runs it;
//   404      a POST to a route the service lacks, no database: the most requests its HTTP layer
//            answers here with wrk beside it, whatever happens behind it.
// With each HTTP figure, the CPU time per request of the server process (/proc). With every
// figure, the machine's: the CPU time all processes used (/proc/stat: the server, wrk or
// pgbench, PostgreSQL, Redis, anything else running) per event, which bounds the rate the two
// cores allow (2,000 ms of CPU a second / machine ms per event) whatever the concurrency.
import { cpus } from 'node:os';
import { cleanup, compiledScript, cpuTimeMs, createDatabase, DURATION_S, machineCpuMs, median, startServer, startService } from '../lib.ts';
import { rawBaseline, rawDatabase, serialBound } from '../pgbench.ts';
import { appendLoad, wrkEvent } from '../suites/appends.ts';
import { wrkAppends } from '../wrk.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 2);

interface Figure { rate: number; p50?: number; cpuMs?: number; machineMs?: number }

/** wrk POSTing appends (`batch` events each) to `url` for DURATION_S against the server process `pid`. */
async function measure(url: string, pid: number, connections: number, batch = 1, okOnly = true): Promise<Figure> {
  const cpu = cpuTimeMs(pid);
  const h = await wrkAppends(url, { connections, seconds: DURATION_S, batch, event: wrkEvent });
  if (okOnly && (h.non2xx > 0 || h.errors > 0)) throw new Error(`${url}: ${h.non2xx} non-2xx, ${h.errors} errors`);
  return { rate: h.rps * batch, p50: h.p50, cpuMs: (cpuTimeMs(pid) - cpu) / h.total };
}

const workloads = [
  ...[1, 4, 16, 64].map((c) => ({ name: `c=${c}`, c, batch: 1 })),
  { name: 'batch 100, c=16', c: 16, batch: 100 },
].filter((w) => !process.env.ONLY || w.name.split(',')[0] === process.env.ONLY.replace(/^batch$/, 'batch 100'));
console.log(`${DURATION_S} s per figure, ${ROUNDS} rounds, medians; ratios to raw; cpu: the server's CPU ms per request; machine: all processes' CPU ms per event, and the rate that would fill ${cpus().length} cores`);
try {
  for (const w of workloads) {
    const [raw, serial] = [await rawBaseline(w.c, w.batch), await serialBound(w.c, w.batch)];
    const floor = await startServer([compiledScript('bench/probes/node-floor-server.ts')], { DATABASE_URL: await rawDatabase(), POOL: String(Math.min(w.c, 16)) });
    const locked = w.c === 1 ? await startServer([compiledScript('bench/probes/node-floor-server.ts')], { DATABASE_URL: await rawDatabase(), POOL: '1', LOCKED: '1' }) : undefined;
    const ours = await startService({ DATABASE_URL: await createDatabase() });
    const path = appendLoad(w.c, w.batch).path;
    const figures: Record<string, Figure[]> = { raw: [], serial: [], floor: [], locked: [], ours: [], '404': [] };
    const steps: [string, () => Promise<Figure>][] = [
      ['raw', async () => ({ rate: await raw() })],
      ['serial', async () => ({ rate: await serial() })],
      ['floor', () => measure(floor.url + path, floor.pid, w.c, w.batch)],
      ...(locked ? [['locked', () => measure(locked.url + path, locked.pid, w.c, w.batch)]] as typeof steps : []),
      ['ours', () => measure(ours.url + path, ours.pid, w.c, w.batch)],
      ...(w.batch > 1 ? [] : [
        ['404', () => measure(`${ours.url}/no-such-route`, ours.pid, w.c, 1, false)],
      ] as typeof steps),
    ];
    await measure(floor.url + path, floor.pid, w.c, w.batch); // warm-up: connections, plans, JIT
    await measure(ours.url + path, ours.pid, w.c, w.batch);
    if (locked) await measure(locked.url + path, locked.pid, w.c, w.batch);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, step] of round % 2 === 0 ? steps : [...steps].reverse()) {
        const before = machineCpuMs();
        const figure = await step();
        // Per event over the load's DURATION_S (a step's start-up and end fall outside the rate but inside this CPU).
        figures[name]!.push({ ...figure, machineMs: (machineCpuMs() - before) / (figure.rate * DURATION_S) });
      }
    }
    await Promise.all([floor.stop(), ours.stop(), locked?.stop()]);
    const m = (name: string, k: keyof Figure = 'rate') => median(figures[name]!.map((f) => f[k] ?? NaN));
    const base = m('raw');
    const machine = (name: string) => `machine ${m(name, 'machineMs').toFixed(3)}, at most ${Math.round((1000 * cpus().length) / m(name, 'machineMs'))}/s`;
    const cell = (name: string) => `${name} ${Math.round(m(name))}/s ${(m(name) / base).toFixed(2)}x (` + (figures[name]![0]!.p50 === undefined ? '' : `p50 ${m(name, 'p50').toFixed(2)} ms, cpu ${m(name, 'cpuMs').toFixed(3)}, `) + `${machine(name)})`;
    console.log(`${w.name.padEnd(16)} raw ${Math.round(base)}/s (${machine('raw')}) | ${cell('serial')} | ${cell('floor')} | ${locked ? `${cell('locked')} | ` : ''}${cell('ours')} | ours/floor ${(m('ours') / m('floor')).toFixed(2)}x` +
      (w.batch > 1 ? '' : ` | ${cell('404')}`));
  }
} finally {
  await cleanup();
}
