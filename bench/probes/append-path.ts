// One client, one append at a time, in process: where the time of a single append goes.
//   npx tsx bench/probes/append-path.ts
// Rows: append_events() called directly on one connection; through a bare append queue on its
// own connection; the same queue over a postgres.js pool of 10 with all its connections open
// (as a burst leaves them: postgres.js then hands each append to the next one in turn, which is
// how the service ran appends before they had connections of their own); through the
// service's queue (which hands each commit to the relay, the SSE signal and NOTIFY); the same
// with the relay stopped. p50 in ms, 400 appends per row, three rounds (the first warms up).
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { parseConfig, withDatabaseUrl } from '../../src/config.ts';
import type { NewEvent } from '../../src/events/event.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createService } from '../../src/service.ts';
import { createAppendQueue } from '../../src/store/append-queue.ts';
import { createDatabase as connect, createConnections } from '../../src/postgres/database.ts';
import { appendRequests } from '../../src/store/event-store.ts';
import { cleanup, createDatabase, latencies, percentile, redisUrl } from '../lib.ts';

const url = await createDatabase();
const config = withDatabaseUrl(parseConfig({ DATABASE_URL: url, REDIS_URL: redisUrl, REDIS_CHANNEL_PREFIX: `probe-${randomUUID()}:`, LOG_LEVEL: 'silent' }), url);
const service = createService(config, createLogger('silent'));
const own = connect({ url, poolMax: 1, appendConnections: 1, connectTimeoutSeconds: 5, statementTimeoutMs: 30_000 });
const bare = createAppendQueue({ connections: own.appends, maxBatchEvents: config.append.maxBatchEvents });
const pool = postgres(url, { max: 10, onnotice: () => {} });
// One transaction in flight, each on whichever connection postgres.js hands it.
const overPool = createAppendQueue({ connections: createConnections([pool]), maxBatchEvents: config.append.maxBatchEvents });
await Promise.all(Array.from({ length: 10 }, () => pool`select pg_sleep(0.05)`));
const event = (): NewEvent => ({
  id: randomUUID(), eventType: 'agent.created', aggregateType: 'agent', aggregateId: randomUUID(),
  payload: { name: 'explore-agent', agent_type: 'exploration' }, metadata: {}, version: 1, expectedSequence: null,
});

const p50 = async (op: () => Promise<unknown>) => percentile(await latencies(400, op), 50).toFixed(3);

const rows: [string, () => Promise<unknown>][] = [
  ['append_events() direct', () => own.appends.use((sql) => appendRequests(sql, [[event()]]))],
  ['bare append queue', () => bare.append([event()])],
  ['bare queue over a pool (10 open)', () => overPool.append([event()])],
  ["service's append queue", () => service.appendQueue.append([event()])],
];
try {
  for (let round = 0; round < 3; round++) {
    const out: string[] = [];
    for (const [name, op] of rows) out.push(`${name} ${await p50(op)}`);
    console.log(out.join(' | '));
  }
  await service.relay.stop();
  for (let round = 0; round < 2; round++) console.log(`service's append queue, relay stopped ${await p50(() => service.appendQueue.append([event()]))}`);
} finally {
  await pool.end();
  await own.close();
  await service.close();
  await cleanup();
}
