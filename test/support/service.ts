import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { inject } from 'vitest';
import { allEventsPattern } from '../../src/events/channels.ts';
import type { EventServiceOptions } from '../../src/event-service.ts';
import { type RunningService, startEventService } from '../../src/start.ts';
import { adminDatabaseUrl, databaseUrl, testRedisUrl } from './env.ts';
import { waitUntil } from './wait.ts';

/** A fresh database copied from the migrated template (`empty`: with no table, to be migrated); dropped by the global teardown. */
export async function createTestDatabase({ empty = false } = {}): Promise<string> {
  const name = `evt_${inject('runId')}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(adminDatabaseUrl(), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}"${empty ? '' : ` template "${inject('templateDatabase')}"`}`);
  } finally {
    await admin.end();
  }
  return databaseUrl(name);
}

/** One sample of the service's /metrics, by its full name (e.g. `relay_publish_delay_seconds_count`). */
export async function metricValue(t: TestService, name: string): Promise<number> {
  const text = await (await t.app.request('/metrics')).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
}

export const newChannelPrefix = () => `t-${inject('runId')}-${randomBytes(3).toString('hex')}:`;

export interface TestService {
  service: RunningService;
  app: RunningService['app'];
  databaseUrl: string;
  channelPrefix: string;
  /** A direct connection to the service's database, for checks behind the API. */
  sql: postgres.Sql;
  close(): Promise<void>;
}

/** The service as main.ts builds it, on its own database and channel prefix. */
export async function startTestService(env: Record<string, string> = {}, dbUrl?: string, definitions: Omit<EventServiceOptions, 'env'> = {}): Promise<TestService> {
  const url = dbUrl ?? (await createTestDatabase());
  const channelPrefix = env.REDIS_CHANNEL_PREFIX ?? newChannelPrefix();
  // The template database is migrated already; a service on an unreachable database still starts.
  const service = await startEventService({
    migrate: false,
    ...definitions,
    env: { DATABASE_URL: url, REDIS_URL: testRedisUrl, REDIS_CHANNEL_PREFIX: channelPrefix, LOG_LEVEL: 'silent', RELAY_POLL_INTERVAL_MS: '50', ...env },
  });
  const sql = postgres(url, { max: 4, onnotice: () => {} });
  return {
    service,
    app: service.app,
    databaseUrl: url,
    channelPrefix,
    sql,
    async close() {
      await service.close();
      await sql.end();
    },
  };
}

export interface ReceivedMessage {
  channel: string;
  body: string;
  event: { id: string; aggregate_id: string; aggregate_type: string; sequence: number; position: number };
}

/** PSUBSCRIBEs to every event channel under a prefix; resolves once subscribed. */
export async function subscribeAll(prefix: string, redisUrl = testRedisUrl) {
  const redis = new Redis(redisUrl, { lazyConnect: true });
  redis.on('error', () => {});
  const messages: ReceivedMessage[] = [];
  redis.on('pmessage', (_pattern: string, channel: string, body: string) => {
    messages.push({ channel, body, event: JSON.parse(body) });
  });
  await redis.connect();
  await redis.psubscribe(allEventsPattern(prefix));
  return {
    messages,
    async waitFor(count: number, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      return messages;
    },
    /** Waits until every id has arrived; returns the messages of those ids, in arrival order. */
    async waitForIds(ids: Iterable<string>, timeoutMs = 10_000) {
      const wanted = new Set(ids);
      const mine = () => messages.filter((m) => wanted.has(m.event.id));
      await waitUntil(() => new Set(mine().map((m) => m.event.id)).size >= wanted.size, timeoutMs, 20);
      return mine();
    },
    close: () => redis.disconnect(),
  };
}
