import { randomUUID } from 'node:crypto';
import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import pg from 'pg';
import postgres from 'postgres';
import type { NewEvent } from '../../src/events/event.ts';
import { createAppendQueue } from '../../src/store/append-queue.ts';
import { createEventStore } from '../../src/store/event-store.ts';
import { createDatabase as connect } from '../../src/postgres/database.ts';
import { createDatabase, DURATION_S, httpLoad, median, REPEAT, startService } from '../lib.ts';
import type { Suite } from './index.ts';

const payload = { name: 'explore-agent', agent_type: 'exploration' };
const metadata = { session_id: 'session-123', correlation_id: 'corr-456' };
const CONCURRENCIES = [1, 16, 64];

/** Runs `op` in `concurrency` loops for DURATION_S seconds; returns operations per second. */
async function rate(concurrency: number, op: () => Promise<unknown>): Promise<number> {
  let n = 0;
  const started = performance.now();
  const deadline = started + DURATION_S * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await op();
        n++;
      }
    }),
  );
  return n / ((performance.now() - started) / 1000);
}

/** Ceiling: single-row INSERTs of the same event rows, one transaction each, through postgres.js. */
async function rawInsert(concurrency: number, rowsPerTransaction = 1): Promise<number> {
  const url = await createDatabase();
  const sql = postgres(url, { max: concurrency, onnotice: () => {} });
  await sql`create sequence raw_position`;
  const row = () => ({
    position: 0, id: randomUUID(), event_type: 'agent.created', aggregate_type: 'agent', aggregate_id: randomUUID(),
    sequence: 1, payload, metadata, version: 1,
  });
  const perSecond = await rate(concurrency, async () => {
    const rows = Array.from({ length: rowsPerTransaction }, row);
    // The events table itself (same indexes and constraints), positions from a sequence.
    await sql`insert into events (position, id, event_type, aggregate_type, aggregate_id, sequence, payload, metadata, version, created_at)
      select nextval('raw_position'), x.id, x.event_type, x.aggregate_type, x.aggregate_id, x.sequence, x.payload, x.metadata, x.version, now()
      from jsonb_to_recordset(${JSON.stringify(rows)}::text::jsonb) as x(id uuid, event_type text, aggregate_type text, aggregate_id uuid, sequence bigint, payload jsonb, metadata jsonb, version int)`;
  });
  await sql.end();
  return perSecond * rowsPerTransaction;
}

/** Peer: Emmett's PostgreSQL event store, appendToStream with an expected version, in-process. */
async function emmett(concurrency: number): Promise<number> {
  const url = await createDatabase(false);
  const pool = new pg.Pool({ connectionString: url, max: concurrency });
  const store = getPostgreSQLEventStore(url, { connectionOptions: { pool } });
  await store.appendToStream(`agent-${randomUUID()}`, [{ type: 'AgentCreated', data: payload }]); // creates the schema
  const perSecond = await rate(concurrency, () =>
    store.appendToStream(`agent-${randomUUID()}`, [{ type: 'AgentCreated', data: payload, metadata }], { expectedStreamVersion: 0n }),
  );
  await store.close();
  await pool.end().catch(() => {});
  return perSecond;
}

/** Ours in-process: the append queue (group commit) on its own connections, as in the service. */
async function inProcess(concurrency: number): Promise<number> {
  const url = await createDatabase();
  const database = connect({ url, poolMax: 10, appendConnections: 2, connectTimeoutSeconds: 5, statementTimeoutMs: 30_000 });
  const queue = createAppendQueue({ store: createEventStore(database.appends), maxInFlight: database.appends.size, maxBatchEvents: 2000 });
  const event = (): NewEvent => ({
    id: randomUUID(), eventType: 'agent.created', aggregateType: 'agent', aggregateId: randomUUID(), payload, metadata, version: 1, expectedSequence: 0,
  });
  const perSecond = await rate(concurrency, async () => {
    const outcome = await queue.append([event()]);
    if (!outcome.ok) throw outcome.error;
  });
  await queue.drain();
  await database.close();
  return perSecond;
}

async function http(concurrency: number, env: Record<string, string> = {}) {
  const url = await createDatabase();
  const service = await startService({ DATABASE_URL: url, ...env });
  const r = await httpLoad(service.url, {
    connections: concurrency,
    durationSec: DURATION_S,
    method: 'POST',
    path: '/events',
    makeBody: () => JSON.stringify({ event_type: 'agent.created', aggregate_id: randomUUID(), payload, metadata }),
  });
  await service.stop();
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`POST /events: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return r;
}

// Group commit off: one request per transaction, as many transactions as pool connections.
const NAIVE = { GROUP_COMMIT_MAX_EVENTS: '1', APPEND_MAX_IN_FLIGHT: '10' };

const suite: Suite = {
  name: 'appends',
  description: `appends/s: raw INSERT ceiling, Emmett, ours in-process and over HTTP, naive HTTP (${DURATION_S} s each, median of ${REPEAT})`,
  async run(record) {
    for (const c of CONCURRENCIES) {
      const raw: number[] = [], peer: number[] = [], ours: number[] = [], web: number[] = [], naive: number[] = [], p50: number[] = [], p99: number[] = [];
      const steps = [
        async () => raw.push(await rawInsert(c)),
        async () => peer.push(await emmett(c)),
        async () => ours.push(await inProcess(c)),
        async () => {
          const h = await http(c);
          web.push(h.rps);
          p50.push(h.p50);
          p99.push(h.p99);
        },
        async () => naive.push((await http(c, NAIVE)).rps),
      ];
      // Rounds so that machine noise hits every contender alike, every other one in reverse
      // order: whoever runs right after another tends to differ from it by order alone.
      for (let round = 0; round < REPEAT; round++) {
        for (const step of round % 2 === 0 ? steps : [...steps].reverse()) await step();
      }
      const [r, e, o, w, n] = [median(raw), median(peer), median(ours), median(web), median(naive)];
      record({ suite: 'appends', name: `raw INSERT (1 row/tx), c=${c}`, value: r, unit: 'events/s' });
      record({ suite: 'appends', name: `Emmett appendToStream, c=${c}`, value: e, unit: 'events/s', baseline: 'raw INSERT', ratio: e / r });
      record({ suite: 'appends', name: `ours in-process (append queue), c=${c}`, value: o, unit: 'events/s', baseline: 'Emmett', ratio: o / e });
      record({ suite: 'appends', name: `ours POST /events over HTTP, c=${c}`, value: w, unit: 'events/s', baseline: 'raw INSERT', ratio: w / r, note: `p50 ${median(p50)} ms, p99 ${median(p99)} ms` });
      record({ suite: 'appends', name: `naive POST /events (no group commit), c=${c}`, value: n, unit: 'events/s', baseline: 'ours HTTP', ratio: n / w });
    }

    // Redis is off the append path: appends with Redis unreachable against appends with it.
    const withRedis = await http(16);
    const withoutRedis = await http(16, { REDIS_URL: 'redis://127.0.0.1:1' });
    record({ suite: 'appends', name: 'POST /events, c=16, Redis unreachable', value: withoutRedis.rps, unit: 'events/s', baseline: 'Redis up', ratio: withoutRedis.rps / withRedis.rps, note: `p99 ${withoutRedis.p99} ms vs ${withRedis.p99} ms` });

    const multi = await rawInsert(4, 100);
    record({ suite: 'appends', name: 'raw INSERT, 100 rows/tx, c=4 (group-commit ceiling)', value: multi, unit: 'events/s' });
    const url = await createDatabase();
    const service = await startService({ DATABASE_URL: url });
    const batch = await httpLoad(service.url, {
      connections: 4,
      durationSec: DURATION_S,
      method: 'POST',
      path: '/events/batch',
      makeBody: () => JSON.stringify({ events: Array.from({ length: 100 }, () => ({ event_type: 'agent.created', aggregate_id: randomUUID(), payload, metadata })) }),
    });
    await service.stop();
    record({ suite: 'appends', name: 'ours POST /events/batch, 100 events, c=4', value: batch.rps * 100, unit: 'events/s', baseline: '100-row INSERT', ratio: (batch.rps * 100) / multi, note: `p50 ${batch.p50} ms per batch` });
  },
};
export default suite;
