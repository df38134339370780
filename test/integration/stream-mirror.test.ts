import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { eventsStreamKey } from '../../src/events/stream-keys.ts';
import { freePort } from '../../src/postgres/free-port.ts';
import { closeAfterEach } from '../support/cleanup.ts';
import { testRedisUrl } from '../support/env.ts';
import { get, newId, postJson } from '../support/http.ts';
import { hasRedisServer, privateRedis } from '../support/private-redis.ts';
import { metricValue, startTestService, type TestService } from '../support/service.ts';
import { deleteKeys, mirrorsNewest, storedOfType, streamEntries } from '../support/streams.ts';
import { waitUntil } from '../support/wait.ts';

const cleanup = closeAfterEach();

const STREAMS = { REDIS_STREAMS: 'on', REDIS_STREAMS_CHECK_MS: '200' };

async function service(env: Record<string, string>, dbUrl?: string): Promise<TestService> {
  const t = await startTestService({ ...STREAMS, ...env }, dbUrl);
  // Closed first: a running relay would refill what deleteKeys removes.
  cleanup.push(async () => (await t.close(), await deleteKeys(t.channelPrefix)));
  return t;
}

function redisClient(url: string) {
  const redis = new Redis(url);
  redis.on('error', () => {});
  cleanup.push(async () => redis.disconnect());
  return redis;
}

const appendMany = async (t: TestService, type: string, n: number, aggregates = 4) => {
  const ids = Array.from({ length: aggregates }, () => newId());
  const events = Array.from({ length: n }, (_, i) => ({ event_type: `${type}.noted`, aggregate_id: ids[i % aggregates], payload: { i } }));
  for (let i = 0; i < events.length; i += 1000) expect((await postJson(t.app, '/events/batch', { events: events.slice(i, i + 1000) })).status).toBe(201);
};

const publishedAll = (t: TestService) => waitUntil(async () => (await get(t.app, '/health')).body.publish_lag === 0, 10_000);

describe('the Redis Streams mirror', () => {
  it('appends every event to its type stream as <position>-0 with the stored JSON, in position order', async () => {
    const t = await service({});
    const redis = redisClient(testRedisUrl);
    await appendMany(t, 'task', 30);
    for (let i = 0; i < 5; i++) await postJson(t.app, '/events', { event_type: 'plan.created', aggregate_id: newId() });
    await appendMany(t, 'task', 7);
    expect(await publishedAll(t)).toBe(true);
    for (const type of ['task', 'plan']) {
      const entries = await streamEntries(redis, t.channelPrefix, type);
      const stored = await storedOfType(t.sql, type);
      expect(entries.map((e) => e.id)).toEqual(stored.map((s) => `${s.position}-0`));
      expect(entries.map((e) => e.json)).toEqual(stored.map((s) => s.json));
    }
    expect(await redis.exists(eventsStreamKey(t.channelPrefix, 'agent'))).toBe(0);
  });

  it('is off by default: no stream is written', async () => {
    const t = await startTestService();
    cleanup.push(() => t.close());
    const redis = redisClient(testRedisUrl);
    await appendMany(t, 'task', 3);
    expect(await publishedAll(t)).toBe(true);
    expect(await redis.exists(eventsStreamKey(t.channelPrefix, 'task'))).toBe(0);
  });

  it('a relay that re-publishes from an older checkpoint adds nothing twice', async () => {
    const first = await service({});
    const redis = redisClient(testRedisUrl);
    await appendMany(first, 'task', 40);
    expect(await publishedAll(first)).toBe(true);
    const before = await streamEntries(redis, first.channelPrefix, 'task');
    await first.close();
    await first.sql`update relay_checkpoints set position = 0`.catch(() => {});
    const again = await service({ REDIS_CHANNEL_PREFIX: first.channelPrefix }, first.databaseUrl);
    await appendMany(again, 'task', 2);
    expect(await publishedAll(again)).toBe(true);
    const after = await streamEntries(redis, first.channelPrefix, 'task');
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.length).toBe(before.length + 2);
    expect(await mirrorsNewest(redis, again.sql, again.channelPrefix, 'task')).toBe(true);
  });

  it('trims each stream to about REDIS_STREAMS_MAXLEN of its newest events', async () => {
    const t = await service({ REDIS_STREAMS_MAXLEN: '100' });
    const redis = redisClient(testRedisUrl);
    await appendMany(t, 'task', 1500);
    expect(await publishedAll(t)).toBe(true);
    const length = await redis.xlen(eventsStreamKey(t.channelPrefix, 'task'));
    expect(length).toBeGreaterThanOrEqual(100);
    expect(length).toBeLessThan(400);
    expect(await mirrorsNewest(redis, t.sql, t.channelPrefix, 'task')).toBe(true);
  });

  it('switched on over a store with history, fills each stream with the newest MAXLEN events of its type', async () => {
    const off = await startTestService();
    await appendMany(off, 'task', 450);
    await appendMany(off, 'plan', 20);
    expect(await publishedAll(off)).toBe(true);
    await off.close();
    const t = await service({ REDIS_STREAMS_MAXLEN: '300', REDIS_CHANNEL_PREFIX: off.channelPrefix }, off.databaseUrl);
    const redis = redisClient(testRedisUrl);
    // No new event: the periodic check finds the streams missing.
    expect(await waitUntil(async () => (await streamEntries(redis, t.channelPrefix, 'plan')).length === 20, 10_000)).toBe(true);
    expect(await waitUntil(async () => (await streamEntries(redis, t.channelPrefix, 'task')).length === 300, 10_000)).toBe(true);
    expect(await mirrorsNewest(redis, t.sql, t.channelPrefix, 'task')).toBe(true);
    expect(await metricValue(t, 'stream_mirror_refilled_events_total{aggregate_type="task"}')).toBe(300);
  });
});

describe.skipIf(!hasRedisServer)('the mirror when Redis loses streams', () => {
  async function setUp(env: Record<string, string> = {}) {
    const server = privateRedis(await freePort());
    await server.start();
    cleanup.push(() => server.stop());
    const t = await service({ REDIS_URL: server.url, REDIS_STREAMS_MAXLEN: '200', ...env });
    const redis = redisClient(server.url);
    await appendMany(t, 'task', 120);
    await appendMany(t, 'plan', 10);
    expect(await publishedAll(t)).toBe(true);
    return { server, t, redis };
  }

  it('after FLUSHALL refills every stream from PostgreSQL, before and without new events', async () => {
    const { t, redis } = await setUp();
    await redis.flushall();
    expect(await waitUntil(async () => (await mirrorsNewest(redis, t.sql, t.channelPrefix, 'task')) && (await mirrorsNewest(redis, t.sql, t.channelPrefix, 'plan')), 10_000)).toBe(true);
    expect((await streamEntries(redis, t.channelPrefix, 'task')).length).toBe(120);
    await appendMany(t, 'task', 5);
    expect(await publishedAll(t)).toBe(true);
    expect((await streamEntries(redis, t.channelPrefix, 'task')).length).toBe(125);
    expect(await mirrorsNewest(redis, t.sql, t.channelPrefix, 'task')).toBe(true);
  });

  it('after a SIGKILL and a restart empty on the same port, every stream is refilled, and new events follow without a hole', async () => {
    const { server, t, redis } = await setUp();
    await server.stop();
    await server.start();
    await waitUntil(() => redis.status === 'ready', 5000);
    await appendMany(t, 'task', 5);
    expect(await publishedAll(t)).toBe(true);
    expect(await waitUntil(() => mirrorsNewest(redis, t.sql, t.channelPrefix, 'task'), 10_000)).toBe(true);
    expect((await streamEntries(redis, t.channelPrefix, 'task')).length).toBe(125);
    expect(await waitUntil(() => mirrorsNewest(redis, t.sql, t.channelPrefix, 'plan'), 10_000)).toBe(true);
  });

  it('a batch that finds its stream lost refills it before adding its own entries (no periodic check)', async () => {
    const { t, redis } = await setUp({ REDIS_STREAMS_CHECK_MS: '3600000' });
    await redis.flushall();
    await appendMany(t, 'task', 5);
    expect(await publishedAll(t)).toBe(true);
    expect((await streamEntries(redis, t.channelPrefix, 'task')).length).toBe(125);
    expect(await mirrorsNewest(redis, t.sql, t.channelPrefix, 'task')).toBe(true);
    expect(await redis.exists(eventsStreamKey(t.channelPrefix, 'plan'))).toBe(0);
  });

  it('a stream that lost more than MAXLEN events is emptied and refilled with the newest, never leaving a hole', async () => {
    const { t, redis } = await setUp({ REDIS_STREAMS_CHECK_MS: '3600000' });
    const key = eventsStreamKey(t.channelPrefix, 'task');
    const old = (await streamEntries(redis, t.channelPrefix, 'task')).slice(0, 10);
    await redis.del(key);
    for (const e of old) await redis.xadd(key, e.id, 'event', e.json);
    await appendMany(t, 'task', 300);
    expect(await publishedAll(t)).toBe(true);
    const entries = await streamEntries(redis, t.channelPrefix, 'task');
    expect(entries[0]!.position).toBeGreaterThan(old.at(-1)!.position + 100);
    expect(entries.length).toBeGreaterThanOrEqual(200);
    expect(await mirrorsNewest(redis, t.sql, t.channelPrefix, 'task')).toBe(true);
  });

  it('a stream found behind (a failover to a replica that missed entries) gets the missing ones, keeping its groups', async () => {
    const { server, t, redis } = await setUp();
    const key = eventsStreamKey(t.channelPrefix, 'task');
    await redis.xgroup('CREATE', key, 'billing', '0');
    // What a replica that had only the first 50 entries would hold.
    const port = new URL(server.url).port;
    const keep = (await streamEntries(redis, t.channelPrefix, 'task')).slice(0, 50);
    spawnSync('redis-cli', ['-p', port, 'eval', `redis.call('XTRIM', KEYS[1], 'MAXLEN', 0); redis.call('XSETID', KEYS[1], '0-0'); for i = 1, #ARGV, 2 do redis.call('XADD', KEYS[1], ARGV[i], 'event', ARGV[i + 1]) end`, '1', key, ...keep.flatMap((e) => [e.id, e.json])]);
    expect((await streamEntries(redis, t.channelPrefix, 'task')).length).toBe(50);
    expect(await waitUntil(async () => (await streamEntries(redis, t.channelPrefix, 'task')).length === 120, 10_000)).toBe(true);
    expect(await mirrorsNewest(redis, t.sql, t.channelPrefix, 'task')).toBe(true);
    expect((await redis.xinfo('GROUPS', key)) as unknown[]).toHaveLength(1);
  });
});
