import postgres from 'postgres';
import { createDatabase, startService } from '../lib.ts';
import { keepAliveClient, latencies, percentile } from '../http-load.ts';
import { seedEvents } from '../seed.ts';
import type { Suite } from './index.ts';

const TOTAL = Number(process.env.BENCH_STATS_EVENTS ?? 1_000_000);
const ROUNDS = 7;

/**
 * GET /stats at TOTAL events against `select count(*) from events` on the same database, in
 * alternating slices (after one that warms both up), so noise falls on both alike. The seed is
 * loaded with COPY behind the service's back, so the stats projection starts from position 0:
 * how long it takes to count them all is reported too.
 */
const suite: Suite = {
  name: 'stats',
  description: `GET /stats at ${TOTAL.toLocaleString()} events vs select count(*) from events; the projection catching up`,
  heavy: true,
  async run(record) {
    const url = await createDatabase();
    await seedEvents(url, TOTAL, (line) => console.log(`  seed: ${line}`));
    const started = performance.now();
    const service = await startService({ DATABASE_URL: url });
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    const counted = async () => Number((await sql`select position from projection_checkpoints where name = 'stats'`)[0]!.position);
    while ((await counted()) < TOTAL) await new Promise((r) => setTimeout(r, 100));
    const catchUp = (performance.now() - started) / 1000;
    record({ suite: 'stats', name: `projection of ${TOTAL.toLocaleString()} events from position 0 (incl. service start)`, value: catchUp, unit: 's', note: `${Math.round(TOTAL / catchUp).toLocaleString()} events/s` });

    const client = keepAliveClient(service.url);
    // The seed spans 2026-01-01 from 00:00 for TOTAL ms: a day by minute, and the year by hour.
    const cases = [
      { name: 'GET /stats, a day by minute (1,440 buckets)', path: '/stats?bucket=minute&from=2026-01-01&to=2026-01-02' },
      { name: 'GET /stats, a year by hour (8,760 buckets)', path: '/stats?bucket=hour&from=2026-01-01&to=2027-01-01' },
    ];
    for (const c of cases) if ((await client.request('GET', c.path)) !== 200) throw new Error(`${c.path} failed`);
    const countAll = () => sql`select count(*) from events`;
    const lat = new Map<string, number[]>([['count', []], ...cases.map((c) => [c.path, []] as [string, number[]])]);
    for (let round = 0; round <= ROUNDS; round++) {
      const keep = round > 0; // the first round warms caches and plans
      const count = await latencies(5, countAll);
      if (keep) lat.get('count')!.push(...count);
      for (const c of cases) {
        const got = await latencies(50, () => client.request('GET', c.path));
        if (keep) lat.get(c.path)!.push(...got);
      }
    }
    const p50 = (k: string) => percentile([...lat.get(k)!].sort((a, b) => a - b), 50);
    record({ suite: 'stats', name: `select count(*) from events (${TOTAL.toLocaleString()})`, value: p50('count'), unit: 'ms p50' });
    for (const c of cases) record({ suite: 'stats', name: c.name, value: p50(c.path), unit: 'ms p50', baseline: 'count(*)', ratio: p50(c.path) / p50('count') });
    client.close();
    await sql.end();
    await service.stop();
  },
};
export default suite;
