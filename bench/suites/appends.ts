import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { createDatabase, DURATION_S, httpLoad, median, REPEAT, startService } from '../lib.ts';
import { hasPgbench, lockedAppendLoad, lockedAppendSetup, pgbench, rawAppendScript, rawSetup } from '../pgbench.ts';
import type { Suite } from './index.ts';

const payload = { name: 'explore-agent', agent_type: 'exploration' };
const metadata = { session_id: 'session-123', correlation_id: 'corr-456' };
const CONCURRENCIES = [1, 4, 16, 64];
const event = () => ({ event_type: 'agent.created', aggregate_id: randomUUID(), payload, metadata });

/** A fresh migrated database ready for the raw baseline and the serial bound (one database each). */
async function rawDatabase(): Promise<string> {
  const url = await createDatabase();
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  await sql.unsafe(rawSetup(5_000_000));
  await sql.unsafe(lockedAppendSetup);
  await sql.end();
  return url;
}

/** The serial design's bound (bench/pgbench.ts): events/s of pgbench writing raw rows under the head lock. */
async function serialBound(clients: number, rows = 1) {
  const url = await rawDatabase();
  const load = lockedAppendLoad(clients, rows);
  return async () => ({ rate: load.rowsPerTransaction * (await pgbench(url, load.script, { clients: load.clients, seconds: DURATION_S })).tps, p50: NaN });
}

const range = (xs: number[]) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;

/**
 * Rounds of the baseline and each contender, the order reversed every other round (whoever runs
 * right after another tends to differ by order alone); medians and the range of per-round
 * ratios. The service's database and process live for all rounds of one comparison, after a
 * warm-up; so do the baseline's and the serial bound's databases.
 */
async function compare(raw: () => Promise<number>, contenders: Record<string, () => Promise<{ rate: number; p50: number }>>) {
  const r: number[] = [];
  const o: Record<string, { rates: number[]; ratios: number[]; p50: number[] }> = {};
  for (const name of Object.keys(contenders)) o[name] = { rates: [], ratios: [], p50: [] };
  for (let round = 0; round < REPEAT; round++) {
    const steps = [async () => void r.push(await raw()), ...Object.entries(contenders).map(([name, run]) => async () => {
      const x = await run();
      o[name]!.rates.push(x.rate);
      o[name]!.p50.push(x.p50);
    })];
    for (const step of round % 2 === 0 ? steps : steps.reverse()) await step();
    for (const c of Object.values(o)) c.ratios.push(c.rates[round]! / r[round]!);
  }
  const results = Object.fromEntries(Object.entries(o).map(([name, c]) => [name, { ours: median(c.rates), ratio: median(c.rates) / median(r), ratios: range(c.ratios), p50: median(c.p50) }]));
  return { raw: median(r), ...results } as { raw: number } & Record<string, { ours: number; ratio: number; ratios: string; p50: number }>;
}

async function httpAppends(connections: number, env: Record<string, string> = {}, batch = 1) {
  const service = await startService({ DATABASE_URL: await createDatabase(), ...env });
  const load = {
    connections, method: 'POST' as const,
    path: batch === 1 ? '/events' : '/events/batch',
    makeBody: () => JSON.stringify(batch === 1 ? event() : { events: Array.from({ length: batch }, event) }),
  };
  await httpLoad(service.url, { ...load, durationSec: 2 }); // connections, plan caches, JIT
  return {
    run: async () => {
      const h = await httpLoad(service.url, { ...load, durationSec: DURATION_S });
      if (h.non2xx > 0 || h.errors > 0) throw new Error(`${load.path}: ${h.non2xx} non-2xx, ${h.errors} errors`);
      return { rate: h.rps * batch, p50: h.p50 };
    },
    stop: () => service.stop(),
  };
}

const suite: Suite = {
  name: 'appends',
  description: `appends/s over HTTP against pgbench writing the same rows at the same concurrency (${DURATION_S} s each, ${REPEAT} alternating rounds, medians)`,
  async run(record) {
    if (!hasPgbench()) throw new Error('the appends suite needs pgbench (postgresql-client)');
    // Beside each comparison, the serial design's bound (the head lock and perfect group commit,
    // no HTTP and none of our code): what no implementation of this design passes here.
    for (const c of CONCURRENCIES) {
      const rawUrl = await rawDatabase();
      const ours = await httpAppends(c);
      const x = await compare(async () => (await pgbench(rawUrl, rawAppendScript(1), { clients: c, seconds: DURATION_S })).tps, { ours: ours.run, serial: await serialBound(c) });
      await ours.stop();
      record({ suite: 'appends', name: `raw INSERT (pgbench, 1 event/tx), c=${c}`, value: x.raw, unit: 'events/s' });
      record({ suite: 'appends', name: `serial bound (pgbench, head lock), c=${c}`, value: x.serial!.ours, unit: 'events/s', baseline: 'raw INSERT', ratio: x.serial!.ratio, note: `rounds ${x.serial!.ratios}` });
      record({ suite: 'appends', name: `ours POST /events, c=${c}`, value: x.ours!.ours, unit: 'events/s', baseline: 'raw INSERT', ratio: x.ours!.ratio, note: `rounds ${x.ours!.ratios}; p50 ${x.ours!.p50} ms` });
    }

    // Batches: 100 events per request against 100-row INSERTs, each event a new aggregate.
    const rawUrl = await rawDatabase();
    const batches = await httpAppends(16, {}, 100);
    const b = await compare(async () => 100 * (await pgbench(rawUrl, rawAppendScript(100), { clients: 16, seconds: DURATION_S })).tps, { ours: batches.run, serial: await serialBound(16, 100) });
    await batches.stop();
    record({ suite: 'appends', name: 'raw 100-row INSERT (pgbench), 16 clients', value: b.raw, unit: 'events/s' });
    record({ suite: 'appends', name: 'serial bound, 100 rows a transaction, 2 in flight', value: b.serial!.ours, unit: 'events/s', baseline: '100-row INSERT', ratio: b.serial!.ratio, note: `rounds ${b.serial!.ratios}` });
    record({ suite: 'appends', name: 'ours POST /events/batch of 100, 16 clients', value: b.ours!.ours, unit: 'events/s', baseline: '100-row INSERT', ratio: b.ours!.ratio, note: `rounds ${b.ours!.ratios}; p50 ${b.ours!.p50} ms per batch` });

    // Redis is off the append path: appends with Redis unreachable against appends with it.
    const up = await httpAppends(16);
    const down = await httpAppends(16, { REDIS_URL: 'redis://127.0.0.1:1' });
    const d = await compare(async () => (await up.run()).rate, { down: down.run });
    await Promise.all([up.stop(), down.stop()]);
    record({ suite: 'appends', name: 'POST /events, c=16, Redis unreachable', value: d.down!.ours, unit: 'events/s', baseline: 'Redis up', ratio: d.down!.ratio, note: `rounds ${d.down!.ratios}` });
  },
};
export default suite;
