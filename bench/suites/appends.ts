import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { createDatabase, DURATION_S, httpLoad, median, REPEAT, startService } from '../lib.ts';
import { hasPgbench, pgbench, rawAppendScript, rawSetup } from '../pgbench.ts';
import type { Suite } from './index.ts';

const payload = { name: 'explore-agent', agent_type: 'exploration' };
const metadata = { session_id: 'session-123', correlation_id: 'corr-456' };
const CONCURRENCIES = [1, 4, 16, 64];
const event = () => ({ event_type: 'agent.created', aggregate_id: randomUUID(), payload, metadata });

/** A fresh migrated database ready for the raw baseline. */
async function rawDatabase(): Promise<string> {
  const url = await createDatabase();
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  await sql.unsafe(rawSetup(5_000_000));
  await sql.end();
  return url;
}

const range = (xs: number[]) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;

/**
 * Rounds of the baseline and the service, the order reversed every other round (whoever runs
 * right after the other tends to differ by order alone); medians and the range of per-round
 * ratios. The service's database and process live for all rounds of one comparison, after a
 * warm-up; so does the baseline's database.
 */
async function compare(raw: () => Promise<number>, ours: () => Promise<{ rate: number; p50: number }>) {
  const r: number[] = [], o: number[] = [], ratios: number[] = [], p50: number[] = [];
  for (let round = 0; round < REPEAT; round++) {
    const steps = [async () => r.push(await raw()), async () => {
      const x = await ours();
      o.push(x.rate);
      p50.push(x.p50);
    }];
    for (const step of round % 2 === 0 ? steps : steps.reverse()) await step();
    ratios.push(o[round]! / r[round]!);
  }
  return { raw: median(r), ours: median(o), ratio: median(o) / median(r), ratios: range(ratios), p50: median(p50) };
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
    for (const c of CONCURRENCIES) {
      const rawUrl = await rawDatabase();
      const ours = await httpAppends(c);
      const x = await compare(async () => (await pgbench(rawUrl, rawAppendScript(1), { clients: c, seconds: DURATION_S })).tps, ours.run);
      await ours.stop();
      record({ suite: 'appends', name: `raw INSERT (pgbench, 1 event/tx), c=${c}`, value: x.raw, unit: 'events/s' });
      record({ suite: 'appends', name: `ours POST /events, c=${c}`, value: x.ours, unit: 'events/s', baseline: 'raw INSERT', ratio: x.ratio, note: `rounds ${x.ratios}; p50 ${x.p50} ms` });
    }

    // Batches: 100 events per request against 100-row INSERTs, each event a new aggregate.
    const rawUrl = await rawDatabase();
    const batches = await httpAppends(16, {}, 100);
    const b = await compare(async () => 100 * (await pgbench(rawUrl, rawAppendScript(100), { clients: 16, seconds: DURATION_S })).tps, batches.run);
    await batches.stop();
    record({ suite: 'appends', name: 'raw 100-row INSERT (pgbench), 16 clients', value: b.raw, unit: 'events/s' });
    record({ suite: 'appends', name: 'ours POST /events/batch of 100, 16 clients', value: b.ours, unit: 'events/s', baseline: '100-row INSERT', ratio: b.ratio, note: `rounds ${b.ratios}; p50 ${b.p50} ms per batch` });

    // Redis is off the append path: appends with Redis unreachable against appends with it.
    const up = await httpAppends(16);
    const down = await httpAppends(16, { REDIS_URL: 'redis://127.0.0.1:1' });
    const d = await compare(async () => (await up.run()).rate, down.run);
    await Promise.all([up.stop(), down.stop()]);
    record({ suite: 'appends', name: 'POST /events, c=16, Redis unreachable', value: d.ours, unit: 'events/s', baseline: 'Redis up', ratio: d.ratio, note: `rounds ${d.ratios}` });
  },
};
export default suite;
