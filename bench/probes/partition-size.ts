// What the partition size costs reads and appends.
//   npx tsx bench/probes/partition-size.ts [events]
// Part 1: the same events (200k by default, COPY-seeded) in 1, 10 and 100 partitions; p50 of
// GET /events' statements (prepared, one connection, alternating slices) and of one append
// through the store. Part 2: appends (in process, 16 at a time, group commit) while the
// partition they go into already holds 0 or 1M events.
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import type { NewEvent } from '../../src/events/event.ts';
import { createDatabase as connect } from '../../src/postgres/database.ts';
import { createAppendQueue } from '../../src/store/append-queue.ts';
import { createEventStore } from '../../src/store/event-store.ts';
import { cleanup, createDatabase, median, rawEventQuery } from '../lib.ts';
import { latencies, percentile } from '../http-load.ts';
import { seededAggregateId, seedEvents } from '../seed.ts';

const EVENTS = Number(process.argv[2] ?? 200_000);
const event = (aggregateId = randomUUID()): NewEvent => ({
  id: randomUUID(), eventType: 'agent.created', aggregateType: 'agent', aggregateId,
  payload: { name: 'explore-agent' }, metadata: { correlation_id: 'probe' }, version: 1, expectedSequence: null,
});

async function store(partitions: number): Promise<string> {
  const url = await createDatabase();
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  await sql`select events_set_partition_size(${Math.ceil(EVENTS / partitions)})`;
  await sql.end();
  await seedEvents(url, EVENTS);
  return url;
}

try {
  const counts = [1, 10, 100];
  const urls: string[] = [];
  for (const n of counts) urls.push(await store(n));
  const cases = [
    ['aggregate history', `/events?aggregate_id=${seededAggregateId(7)}`],
    ['rare event_type', '/events?event_type=agent.none&limit=100'],
    ['correlation id', `/events?correlation_id=corr-${Math.floor(EVENTS / 10)}`],
    ['keyset page', `/events?after=${Math.floor(EVENTS / 2)}&limit=100`],
    ['newest page', '/events?order=desc&limit=100'],
  ] as const;
  const sides = urls.map((url) => postgres(url, { max: 1, onnotice: () => {} }));
  for (const [name, path] of cases) {
    const runs = sides.map((sql) => rawEventQuery(sql, path));
    const lat: number[][] = counts.map(() => []);
    for (let slice = 0; slice < 6; slice++) {
      for (let k = 0; k < counts.length; k++) {
        const l = await latencies(100, runs[k]!);
        if (slice > 0) lat[k]!.push(percentile(l, 50));
      }
    }
    console.log(`${name.padEnd(18)} ${counts.map((n, k) => `${n} partitions ${median(lat[k]!).toFixed(3)} ms`).join(' | ')}`);
  }
  const stores = sides.map((sql) => createEventStore(sql));
  const appendLat: number[][] = counts.map(() => []);
  for (let slice = 0; slice < 6; slice++) {
    for (let k = 0; k < counts.length; k++) {
      const l = await latencies(100, () => stores[k]!.append([[event()]]));
      if (slice > 0) appendLat[k]!.push(percentile(l, 50));
    }
  }
  console.log(`${'one append'.padEnd(18)} ${counts.map((n, k) => `${n} partitions ${median(appendLat[k]!).toFixed(3)} ms`).join(' | ')}`);
  await Promise.all(sides.map((s) => s.end()));

  // Part 2: the hot partition empty, or already holding 1M events.
  const empty = await createDatabase();
  const full = await createDatabase();
  const s = postgres(full, { max: 1, onnotice: () => {} });
  await s`select events_set_partition_size(10000000)`;
  await s.end();
  await seedEvents(full, 1_000_000);
  const rate = async (url: string) => {
    const db = connect({ url, poolMax: 1, appendConnections: 2, connectTimeoutSeconds: 5, statementTimeoutMs: 60_000 });
    const queue = createAppendQueue({ store: createEventStore(db.appends), maxInFlight: 2, maxBatchEvents: 2000 });
    let n = 0;
    const until = performance.now() + 4000;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (performance.now() < until) {
        await queue.append([event()]);
        n++;
      }
    }));
    await db.close();
    return n / 4;
  };
  const r: number[][] = [[], []];
  for (let round = 0; round < 4; round++) {
    const order = round % 2 ? [1, 0] : [0, 1];
    for (const k of order) r[k]!.push(await rate(k === 0 ? empty : full));
  }
  console.log(`appends, 16 at a time: hot partition empty ${median(r[0]!).toFixed(0)}/s (${r[0]!.map((x) => x.toFixed(0)).join(', ')}) | holding 1M ${median(r[1]!).toFixed(0)}/s (${r[1]!.map((x) => x.toFixed(0)).join(', ')})`);
} finally {
  await cleanup();
}
