import { randomUUID } from 'node:crypto';
import { createDatabase, DURATION_S, median, REPEAT, startService } from '../lib.ts';
import { hasPgbench, rawBaseline, serialBound } from '../pgbench.ts';
import { AGGREGATE_ID, hasWrk, wrkAppends } from '../wrk.ts';
import type { Suite } from './index.ts';

const payload = { name: 'explore-agent', agent_type: 'exploration' };
const metadata = { session_id: 'session-123', correlation_id: 'corr-456' };
const CONCURRENCIES = [1, 4, 16, 64];
const event = (aggregateId: string = randomUUID()) => ({ event_type: 'agent.created', aggregate_id: aggregateId, payload, metadata });
/** One event's JSON for wrkAppends(). */
export const wrkEvent = JSON.stringify(event(AGGREGATE_ID));

const range = (xs: number[]) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;

/**
 * Rounds of the baseline and each contender, the order reversed every other round (whoever runs
 * right after another tends to differ by order alone); medians and the range of per-round
 * ratios. The service's database and process live for all rounds of one comparison, after a
 * warm-up; so do the baseline's and the serial bound's databases.
 */
async function compare<K extends string>(raw: () => Promise<number>, contenders: Record<K, () => Promise<{ rate: number; p50?: number }>>) {
  const names = Object.keys(contenders) as K[];
  const r: number[] = [];
  const runs = names.map(() => ({ rates: [] as number[], ratios: [] as number[], p50: [] as number[] }));
  for (let round = 0; round < REPEAT; round++) {
    const steps = [async () => void r.push(await raw()), ...names.map((name, i) => async () => {
      const x = await contenders[name]();
      runs[i]!.rates.push(x.rate);
      runs[i]!.p50.push(x.p50 ?? NaN);
    })];
    for (const step of round % 2 === 0 ? steps : steps.reverse()) await step();
    for (const c of runs) c.ratios.push(c.rates[round]! / r[round]!);
  }
  const of = Object.fromEntries(names.map((name, i) => {
    const c = runs[i]!;
    return [name, { rate: median(c.rates), ratio: median(c.rates) / median(r), ratios: range(c.ratios), p50: median(c.p50) }];
  })) as Record<K, { rate: number; ratio: number; ratios: string; p50: number }>;
  return { raw: median(r), of };
}

// The mean from the closed loop itself (Little's law: connections over requests per second) and
// wrk's p50, both to the microsecond.
function latencyNote(connections: number, requestsPerSec: number, p50: number): string {
  return `mean ${((1000 * connections) / requestsPerSec).toFixed(2)} ms, p50 ${p50.toFixed(2)} ms`;
}

/** POST /events (or /events/batch of `batch`) at `connections`, each event of a new aggregate. */
export function appendLoad(connections: number, batch = 1) {
  return {
    connections, method: 'POST' as const,
    path: batch === 1 ? '/events' : '/events/batch',
    makeBody: () => JSON.stringify(batch === 1 ? event() : { events: Array.from({ length: batch }, event) }),
  };
}

// Loaded by wrk, a native program like pgbench on the baseline's side: autocannon, in this
// process, took CPU from the two cores the service shares with it (bench/README.md).
async function httpAppends(connections: number, env: Record<string, string> = {}, batch = 1) {
  const service = await startService({ DATABASE_URL: await createDatabase(), ...env });
  const url = service.url + appendLoad(connections, batch).path;
  const load = (seconds: number) => wrkAppends(url, { connections, seconds, batch, event: wrkEvent });
  await load(2); // connections, plan caches, JIT
  return {
    run: async () => {
      const h = await load(DURATION_S);
      if (h.non2xx > 0 || h.errors > 0) throw new Error(`${url}: ${h.non2xx} non-2xx, ${h.errors} errors`);
      return { rate: h.rps * batch, p50: h.p50 };
    },
    stop: () => service.stop(),
  };
}

const suite: Suite = {
  name: 'appends',
  description: `appends/s over HTTP (wrk) against pgbench writing the same rows at the same concurrency (${DURATION_S} s each, ${REPEAT} alternating rounds, medians)`,
  async run(record) {
    if (!hasPgbench()) throw new Error('the appends suite needs pgbench (postgresql-client)');
    if (!hasWrk()) throw new Error('the appends suite needs wrk (apt-get install wrk)');
    // Beside each comparison, the serial design's bound (the head lock and perfect group commit,
    // no HTTP and none of our code): what no implementation of this design passes here.
    for (const c of CONCURRENCIES) {
      const raw = await rawBaseline(c);
      const ours = await httpAppends(c);
      const serial = await serialBound(c);
      const x = await compare(raw, { ours: ours.run, serial: async () => ({ rate: await serial() }) });
      await ours.stop();
      record({ suite: 'appends', name: `raw INSERT (pgbench, 1 event/tx), c=${c}`, value: x.raw, unit: 'events/s' });
      record({ suite: 'appends', name: `serial bound (pgbench, head lock), c=${c}`, value: x.of.serial.rate, unit: 'events/s', baseline: 'raw INSERT', ratio: x.of.serial.ratio, note: `rounds ${x.of.serial.ratios}` });
      record({ suite: 'appends', name: `ours POST /events, c=${c}`, value: x.of.ours.rate, unit: 'events/s', baseline: 'raw INSERT', ratio: x.of.ours.ratio, note: `rounds ${x.of.ours.ratios}; ${latencyNote(c, x.of.ours.rate, x.of.ours.p50)}` });
    }

    // Batches: 100 events per request against 100-row INSERTs, each event a new aggregate.
    const raw = await rawBaseline(16, 100);
    const batches = await httpAppends(16, {}, 100);
    const serial = await serialBound(16, 100);
    const b = await compare(raw, { ours: batches.run, serial: async () => ({ rate: await serial() }) });
    await batches.stop();
    record({ suite: 'appends', name: 'raw 100-row INSERT (pgbench), 16 clients', value: b.raw, unit: 'events/s' });
    record({ suite: 'appends', name: 'serial bound, 100 rows a transaction, 2 in flight', value: b.of.serial.rate, unit: 'events/s', baseline: '100-row INSERT', ratio: b.of.serial.ratio, note: `rounds ${b.of.serial.ratios}` });
    record({ suite: 'appends', name: 'ours POST /events/batch of 100, 16 clients', value: b.of.ours.rate, unit: 'events/s', baseline: '100-row INSERT', ratio: b.of.ours.ratio, note: `rounds ${b.of.ours.ratios}; ${latencyNote(16, b.of.ours.rate / 100, b.of.ours.p50)} per batch` });

    // Redis is off the append path: appends with Redis unreachable against appends with it.
    const up = await httpAppends(16);
    const down = await httpAppends(16, { REDIS_URL: 'redis://127.0.0.1:1' });
    const d = await compare(async () => (await up.run()).rate, { down: down.run });
    await Promise.all([up.stop(), down.stop()]);
    record({ suite: 'appends', name: 'POST /events, c=16, Redis unreachable', value: d.of.down.rate, unit: 'events/s', baseline: 'Redis up', ratio: d.of.down.ratio, note: `rounds ${d.of.down.ratios}` });
  },
};
export default suite;
