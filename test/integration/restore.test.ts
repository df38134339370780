import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { startConsumer } from '../support/consume.ts';
import { testRedisUrl } from '../support/env.ts';
import { get, newId, postJson } from '../support/http.ts';
import { newChannelPrefix, startTestService, subscribeAll, type TestService } from '../support/service.ts';
import { waitUntil } from '../support/wait.ts';

// README, Backup and restore. A store restored to an earlier point hands out again positions
// Redis has seen: the channels' publication marks and the Streams mirror are ahead of it. A fresh
// database on the same channel prefix stands for the restored store here (its head is behind
// Redis), and the README's clean-up runs before it starts.

const closing: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const f of closing.reverse()) await f().catch(() => {});
});

/** The README's `redis-cli --scan … | xargs redis-cli del`, through ioredis. */
async function cleanUp(prefix: string) {
  const redis = new Redis(testRedisUrl);
  try {
    for (const pattern of [`{${prefix}events:*}:published`, `${prefix}stream:events:*`, `{${prefix}stream:events:*}:*`]) {
      for await (const keys of redis.scanStream({ match: pattern, count: 1000 }) as AsyncIterable<string[]>) if (keys.length > 0) await redis.del(...keys);
    }
  } finally {
    redis.disconnect();
  }
}

async function appendTasks(t: TestService, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await postJson(t.app, '/events', { event_type: 'task.created', aggregate_id: newId() });
    expect(res.status).toBe(201);
    ids.push(res.body.id);
  }
  return ids;
}

/**
 * A later history in Redis: a store on a fresh prefix appends 5 events, published and mirrored (and
 * consumed, when `consume` is given), then stops. Returns the prefix's env and a subscriber to it.
 */
async function laterHistory(consume: (t: TestService) => Promise<void> = async () => {}) {
  const prefix = newChannelPrefix();
  const env = { REDIS_CHANNEL_PREFIX: prefix, REDIS_STREAMS: 'on', REDIS_STREAMS_CHECK_MS: '200' };
  const sub = await subscribeAll(prefix);
  closing.push(async () => sub.close());
  const before = await startTestService(env);
  expect(await sub.waitForIds(await appendTasks(before, 5))).toHaveLength(5);
  await consume(before);
  await before.close();
  return { prefix, env, sub };
}

describe('a store restored to an earlier point', () => {
  it("publishes and mirrors its new events once the README's clean-up has removed what Redis kept of the later history", async () => {
    const { prefix, env, sub } = await laterHistory(async (before) => {
      const consumer = await startConsumer(before, { redisUrl: testRedisUrl, start: 'beginning' });
      expect(await waitUntil(() => consumer.recorder.handled.length === 5, 10_000)).toBe(true);
      await consumer.stop();
    });

    await cleanUp(prefix);
    const restored = await startTestService(env);
    closing.push(() => restored.close());
    const [id] = await appendTasks(restored, 1);
    const [message] = await sub.waitForIds([id!]);
    expect(message?.event.position).toBe(1);
    const again = await startConsumer(restored, { redisUrl: testRedisUrl, start: 'beginning' });
    closing.push(() => again.stop());
    expect(await waitUntil(() => again.recorder.handled.length === 1, 10_000)).toBe(true);
    expect(again.recorder.handled.map((e) => e.id)).toEqual([id]);
  });

  it('is found by the relay, which publishes nothing and says so until the later history is removed from Redis, then publishes every new event', async () => {
    const { prefix, env, sub } = await laterHistory();

    const restored = await startTestService(env);
    closing.push(() => restored.close());
    const ids = await appendTasks(restored, 2);
    const health = async () => (await get(restored.app, '/health')).body as { relay: string; publish_lag: number };
    expect(await waitUntil(async () => (await health()).relay === 'redis_ahead', 10_000)).toBe(true);
    expect((await health()).publish_lag).toBe(2);
    expect(sub.messages.filter((m) => ids.includes(m.event.id))).toEqual([]);
    // New appends taking the store's head past what Redis holds do not end it: those positions were
    // published once for other events, and the new ones would go unpublished for good.
    ids.push(...(await appendTasks(restored, 4)));
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await health()).relay).toBe('redis_ahead');
    expect(sub.messages.filter((m) => ids.includes(m.event.id))).toEqual([]);

    await cleanUp(prefix);
    expect((await sub.waitForIds(ids)).map((m) => m.event.position)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await waitUntil(async () => (await health()).relay === 'running', 10_000)).toBe(true);
  });
});
