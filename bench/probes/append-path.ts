// One client, one append at a time, in process: where the time of a single append goes.
//   npx tsx bench/probes/append-path.ts
// Rows: the store's append called directly on one connection; through a bare append queue on
// its own connection; through the service's queue (which hands each commit to the relay, the
// SSE signal and NOTIFY); the same with the relay stopped. p50 in ms, 400 appends per row,
// three rounds (the first warms up).
import { randomUUID } from 'node:crypto';
import type { NewEvent } from '../../src/events/event.ts';
import { createDatabase as connect } from '../../src/postgres/database.ts';
import { startEventService } from '../../src/start.ts';
import { createAppendQueue } from '../../src/store/append-queue.ts';
import { createEventStore } from '../../src/store/event-store.ts';
import { cleanup, createDatabase, redisUrl } from '../lib.ts';
import { latencies, percentile } from '../http-load.ts';

const url = await createDatabase();
const service = await startEventService({ env: { DATABASE_URL: url, REDIS_URL: redisUrl, REDIS_CHANNEL_PREFIX: `probe-${randomUUID()}:`, LOG_LEVEL: 'silent' } });
const own = connect({ url, poolMax: 1, appendConnections: 1, connectTimeoutSeconds: 5, statementTimeoutMs: 30_000 });
const ownStore = createEventStore(own.appends);
const bare = createAppendQueue({ store: ownStore, maxInFlight: 1, maxBatchEvents: service.config.append.maxTransactionEvents });
const event = (): NewEvent => ({
  id: randomUUID(), eventType: 'agent.created', aggregateType: 'agent', aggregateId: randomUUID(),
  payload: { name: 'explore-agent', agent_type: 'exploration' }, metadata: {}, version: 1, expectedSequence: null,
});

const p50 = async (op: () => Promise<unknown>) => percentile(await latencies(400, op), 50).toFixed(3);

const rows: [string, () => Promise<unknown>][] = [
  ['store.append() direct', () => ownStore.append([[event()]])],
  ['bare append queue', () => bare.append([event()])],
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
  await own.close();
  await service.close();
  await cleanup();
}
