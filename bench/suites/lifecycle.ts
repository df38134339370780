import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import postgres from 'postgres';
import { defineAggregate } from '../../src/aggregates/aggregate.ts';
import { loadAggregate } from '../../src/aggregates/load-aggregate.ts';
import { createArchiveReader } from '../../src/lifecycle/archive-reader.ts';
import { createFileStorage } from '../../src/lifecycle/file-storage.ts';
import { createEventStore } from '../../src/store/event-store.ts';
import { createDatabase, DURATION_S, startService } from '../lib.ts';
import { httpLoad, keepAliveClient, latencies, percentile } from '../http-load.ts';
import { seededAggregateId, seedEvents } from '../seed.ts';
import type { Suite } from './index.ts';

const TOTAL = Number(process.env.BENCH_LIFECYCLE_EVENTS ?? 1_000_000);
const SAMPLES = 200;
const pick = <T>(xs: T[], n: number) => Array.from({ length: n }, () => xs[Math.floor(Math.random() * xs.length)]!);

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<T>;
}

/** Pages a query with after= (1000 a page) for `seconds`; events per second. */
async function pagingRate(base: string, query: string, seconds: number): Promise<number> {
  let after = 0, n = 0;
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    const page = await json<{ events: unknown[]; next_after: number | null }>(`${base}/events?limit=1000&after=${after}${query}`);
    n += page.events.length;
    if (page.next_after === null) break;
    after = page.next_after;
  }
  return n / ((performance.now() - started) / 1000);
}

const appendLoad = (base: string, seconds: number) => httpLoad(base, {
  path: '/events', method: 'POST', connections: 16, durationSec: seconds,
  makeBody: () => JSON.stringify({ event_type: 'note.created', aggregate_id: crypto.randomUUID(), payload: { text: 'during a run' } }),
});

/**
 * The lifecycle at TOTAL seeded events (4 types of 250,000, aggregates of 100 events spread over
 * the whole table): archive throughput and size, appends during a run against before it, and
 * archived reads (by id, after= paging, aggregate loads) against the same reads of hot events.
 */
const suite: Suite = {
  name: 'lifecycle',
  description: `archival of half of ${TOTAL.toLocaleString()} events; reads and appends against the hot tier`,
  heavy: true,
  async run(record) {
    const url = await createDatabase();
    await seedEvents(url, TOTAL, (line) => console.log(`  seed: ${line}`));
    const dir = await mkdtemp(join(tmpdir(), 'evb-archive-'));
    const service = await startService({ DATABASE_URL: url, ARCHIVE_URL: pathToFileURL(dir).href, ARCHIVE_INTERVAL: '0' });
    const base = service.url;
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    const ids = async (type: string) => (await sql<{ id: string }[]>`select id::text from events where aggregate_type = ${type} and position % 97 = 0`).map((r) => r.id);
    const [taskIds, agentIds] = [await ids('task'), await ids('agent')];
    const [pgBytes] = await sql<{ bytes: string }[]>`select sum(pg_total_relation_size(c.oid)) as bytes from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'events'::regclass`;
    const client = keepAliveClient(base);
    const byId = async (list: string[]) => percentile(await latencies(SAMPLES, () => client.request('GET', `/events/${pick(list, 1)[0]}`)), 50);
    // Seeded aggregate n has type TYPES[n % 4]: agent for n % 4 = 0, task for n % 4 = 1.
    const load = (n: number) => () => client.request('GET', `/events?aggregate_id=${seededAggregateId(n)}&limit=1000`);

    const hotById = await byId(agentIds);
    const hotPaging = await pagingRate(base, '&aggregate_type=agent', DURATION_S);
    const hotLoad = percentile(await latencies(20, load(4)), 50);
    // What looking at the manifest costs a read that finds nothing archived: the same query with tier=hot.
    const [allTiers, hotOnly] = [[] as number[], [] as number[]];
    for (let i = 0; i < 10; i++) {
      allTiers.push(...(await latencies(30, load(4))));
      hotOnly.push(...(await latencies(30, () => client.request('GET', `/events?aggregate_id=${seededAggregateId(4)}&limit=1000&tier=hot`))));
    }
    const [manifestCost, hotOnlyCost] = [percentile(allTiers.sort((a, b) => a - b), 50), percentile(hotOnly.sort((a, b) => a - b), 50)];
    // loadAggregate in this process, over a store that reads the same archive directory.
    const store = createEventStore(sql, { archive: createArchiveReader({ storage: createFileStorage(dir), cacheBytes: 64 << 20 }) });
    const fold = (type: string) => defineAggregate<number>({ type, initialState: 0, evolve: (n) => n + 1 });
    const loadIn = (type: string, n: number) => async () => {
      const loaded = await loadAggregate(store, fold(type), seededAggregateId(n));
      if (loaded.sequence !== 100) throw new Error(`loaded ${loaded.sequence} events`);
    };
    const hotFold = percentile(await latencies(20, loadIn('agent', 8)), 50);
    const before = await appendLoad(base, DURATION_S);

    for (const type of ['task', 'plan']) {
      await fetch(`${base}/retention/${type}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ archive_after: 'PT0S' }) });
    }
    const started = performance.now();
    let run = await json<{ id: string; status: string; archived: number; bytes: number }>(`${base}/archive/runs`, { method: 'POST' });
    const during = await appendLoad(base, DURATION_S);
    while (run.status === 'running') {
      await new Promise((r) => setTimeout(r, 250));
      run = await json(`${base}/archive/runs/${run.id}`);
    }
    const seconds = (performance.now() - started) / 1000;
    if (run.status !== 'succeeded') throw new Error(`archive run ${run.status}: ${JSON.stringify(run)}`);

    const coldFold = (await latencies(1, loadIn('task', 9)))[0]!;
    const archivedFold = percentile(await latencies(20, loadIn('task', 9)), 50);
    const coldLoad = (await latencies(1, load(5)))[0]!;
    const archivedLoad = percentile(await latencies(20, load(5)), 50);
    const coldById = (await latencies(1, () => client.request('GET', `/events/${taskIds[3]}`)))[0]!;
    const archivedById = await byId(taskIds);
    const archivedPaging = await pagingRate(base, '&aggregate_type=task', DURATION_S);
    const s = 'lifecycle';
    record({ suite: s, name: 'GET /events?aggregate_id (hot) p50, all tiers', value: manifestCost, unit: 'ms', baseline: 'tier=hot', ratio: manifestCost / hotOnlyCost, note: `tier=hot ${hotOnlyCost.toFixed(2)} ms, nothing archived yet` });
    record({ suite: s, name: 'archive run throughput', value: run.archived / seconds, unit: 'events/s', note: `${run.archived.toLocaleString()} events in ${seconds.toFixed(1)} s, appends going on for ${DURATION_S} s of it` });
    record({ suite: s, name: 'size in the archive (Parquet, SNAPPY)', value: run.bytes / run.archived, unit: 'B/event' });
    record({ suite: s, name: 'size in PostgreSQL (partitions with indexes, before)', value: Number(pgBytes!.bytes) / TOTAL, unit: 'B/event', baseline: 'Parquet', ratio: (Number(pgBytes!.bytes) / TOTAL) / (run.bytes / run.archived) });
    record({ suite: s, name: 'appends during a run (HTTP, 16 connections)', value: during.rps, unit: 'req/s', baseline: 'before the run', ratio: during.rps / before.rps, note: `before: ${before.rps.toFixed(0)} req/s` });
    record({ suite: s, name: 'GET /events/{id} p50, archived', value: archivedById, unit: 'ms', baseline: 'hot', ratio: archivedById / hotById, note: `hot ${hotById.toFixed(2)} ms; first read of a row group ${coldById.toFixed(1)} ms` });
    record({ suite: s, name: 'after= paging of one type, archived', value: archivedPaging, unit: 'events/s', baseline: 'hot', ratio: archivedPaging / hotPaging, note: `hot ${hotPaging.toFixed(0)} events/s` });
    record({ suite: s, name: 'aggregate of 100 events (GET /events?aggregate_id) p50, archived', value: archivedLoad, unit: 'ms', baseline: 'hot', ratio: archivedLoad / hotLoad, note: `hot ${hotLoad.toFixed(2)} ms; first load ${coldLoad.toFixed(0)} ms` });
    record({ suite: s, name: 'loadAggregate of 100 events p50, archived', value: archivedFold, unit: 'ms', baseline: 'hot', ratio: archivedFold / hotFold, note: `hot ${hotFold.toFixed(2)} ms; first load ${coldFold.toFixed(0)} ms` });
    client.close();
    await sql.end();
    await service.stop();
    await rm(dir, { recursive: true, force: true });
  },
};
export default suite;
