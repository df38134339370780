// A consume() process for tests that kill it: prints "handled <event id>" per handled event.
// Env: REDIS_URL, CHANNEL_PREFIX, DATABASE_URL, GROUP, CONSUMER, HANDLER_MS; optional CONCURRENCY
// (4), MAX_ATTEMPTS (5), READ_COUNT (100), CLAIM_IDLE_MS (1000), and POISON: an event id whose handling kills the process (SIGKILL).
import postgres from 'postgres';
import { consume } from '../../src/client/consume.ts';
import { storeEventReader } from '../../src/store/store-reader.ts';

const env = (name: string) => process.env[name] ?? '';
const sql = postgres(env('DATABASE_URL'), { max: 1, onnotice: () => {} });
await consume({
  redisUrl: env('REDIS_URL'),
  channelPrefix: env('CHANNEL_PREFIX'),
  reader: storeEventReader(sql),
  group: env('GROUP'),
  consumer: env('CONSUMER'),
  aggregateTypes: ['task'],
  start: 'beginning',
  concurrency: Number(env('CONCURRENCY') || 4),
  maxAttempts: Number(env('MAX_ATTEMPTS') || 5),
  readCount: Number(env('READ_COUNT') || 100),
  claimIdleMs: Number(env('CLAIM_IDLE_MS') || 1000),
  handler: async (event) => {
    if (event.id === env('POISON')) process.kill(process.pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, Number(env('HANDLER_MS'))));
    process.stdout.write(`handled ${event.id}\n`);
  },
});
process.stdout.write('consuming\n');
