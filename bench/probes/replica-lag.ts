// How far a streaming replica lags behind appends at full speed, and what that does to
// read-your-writes: WRITERS (16) clients append as fast as they can for SECONDS (10) while
// READERS (8) clients each append one event and read it back with min_position, through a
// service reading the replica. Samples the lag (positions; pg_stat_replication's replay_lag)
// every 50 ms, and counts which server answered the min_position reads. Each reader also reads
// an old event without min_position, as the baseline of a read's time on this (shared) machine.
// BATCH=100 makes each writer's request a POST /events/batch of that many events. At the end,
// the connections each server holds from the service, by application_name.
//   npx tsx bench/probes/replica-lag.ts
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { startPrivatePostgres } from '../../test/support/private-postgres.ts';
import { startService } from '../lib.ts';
import { httpLoad, percentile } from '../http-load.ts';

const writers = Number(process.env.WRITERS ?? 16);
const readers = Number(process.env.READERS ?? 8);
const seconds = Number(process.env.SECONDS ?? 10);
const batch = Number(process.env.BATCH ?? 0);

const pg = await startPrivatePostgres();
await pg.addReplica();
const service = await startService({ DATABASE_URL: pg.url, DATABASE_READ_URL: pg.replicaUrl, DATABASE_POOL_MAX: '8' });
const primary = postgres(pg.url, { max: 1, onnotice: () => {} });
const replica = postgres(pg.replicaUrl, { max: 1, onnotice: () => {} });
const head = async (sql: postgres.Sql) => Number((await sql<{ p: string }[]>`select last_position as p from events_head`)[0]!.p);
const served = async () => {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  const of = (server: string) => Number(new RegExp(`^database_reads_total\\{server="${server}"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return { replica: of('replica'), primary: of('primary') };
};

try {
  let running = true;
  const lagPositions: number[] = [];
  const lagMs: number[] = [];
  const sampler = (async () => {
    while (running) {
      const [p, r] = [await head(primary), await head(replica)];
      lagPositions.push(Math.max(0, p - r));
      const [row] = await primary<{ ms: number | null }[]>`select extract(epoch from replay_lag) * 1000 as ms from pg_stat_replication`;
      if (row?.ms !== null && row?.ms !== undefined) lagMs.push(Number(row.ms));
      await new Promise((res) => setTimeout(res, 50));
    }
  })();
  const rywMs: number[] = [];
  const plainMs: number[] = [];
  const first = (await (await fetch(`${service.url}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ event_type: 'agent.created', aggregate_id: randomUUID() }) })).json()) as { id: string };
  await pg.waitForReplay();
  const before = await served();
  const ryw = Array.from({ length: readers }, async () => {
    while (running) {
      const res = await fetch(`${service.url}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ event_type: 'agent.created', aggregate_id: randomUUID() }) });
      const { id, position } = (await res.json()) as { id: string; position: number };
      const started = performance.now();
      const read = await fetch(`${service.url}/events/${id}?min_position=${position}`);
      await read.arrayBuffer();
      if (read.status !== 200) throw new Error(`read-your-writes read answered ${read.status}`);
      rywMs.push(performance.now() - started);
      const plainStarted = performance.now();
      await (await fetch(`${service.url}/events/${first.id}`)).arrayBuffer();
      plainMs.push(performance.now() - plainStarted);
    }
  });
  const event = () => ({ event_type: 'agent.created', aggregate_id: randomUUID() });
  const load = await httpLoad(service.url, {
    connections: writers, durationSec: seconds, method: 'POST', path: batch ? '/events/batch' : '/events',
    makeBody: () => JSON.stringify(batch ? { events: Array.from({ length: batch }, event) } : event()),
  });
  running = false;
  await Promise.all([sampler, ...ryw]);
  const after = await served();
  const sort = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const [lp, lm, rm, pm] = [sort(lagPositions), sort(lagMs), sort(rywMs), sort(plainMs)];
  console.log(`appends: ${(load.rps * (batch || 1)).toFixed(0)} events/s at ${writers} connections${batch ? ` in batches of ${batch}` : ''} (plus ${readers} read-your-writes clients)`);
  console.log(`replica behind, in positions: p50 ${percentile(lp, 50)}, p99 ${percentile(lp, 99)}, max ${lp[lp.length - 1]} (${lp.length} samples)`);
  console.log(`pg_stat_replication replay_lag: p50 ${percentile(lm, 50)?.toFixed(1)} ms, p99 ${percentile(lm, 99)?.toFixed(1)} ms`);
  const byReplica = after.replica - before.replica, byPrimary = after.primary - before.primary;
  console.log(`min_position reads: ${rm.length}, of which the primary answered ${byPrimary} (${((byPrimary / rm.length) * 100).toFixed(1)}%; the replica answered ${byReplica} reads in all); p50 ${percentile(rm, 50).toFixed(2)} ms, p99 ${percentile(rm, 99).toFixed(2)} ms; reads without min_position: p50 ${percentile(pm, 50).toFixed(2)} ms, p99 ${percentile(pm, 99).toFixed(2)} ms`);
  const connections = async (sql: postgres.Sql) =>
    (await sql<{ name: string; n: number }[]>`select application_name as name, count(*)::int as n from pg_stat_activity where application_name like 'event-service%' group by 1 order by 1`).map((r) => `${r.name} ${r.n}`).join(', ');
  console.log(`connections on the primary: ${await connections(primary)}`);
  console.log(`connections on the replica: ${await connections(replica)}`);
} finally {
  await primary.end();
  await replica.end();
  await service.stop();
  await pg.stop();
}
