import { afterAll, describe, expect, it } from 'vitest';
import { get, newId, postJson } from '../support/http.ts';
import { freePort } from '../../src/postgres/free-port.ts';
import { hasRedisServer, privateRedis } from '../support/private-redis.ts';
import { metricValue, startTestService, subscribeAll, type TestService } from '../support/service.ts';
import { waitUntil } from '../support/wait.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});

describe.skipIf(!hasRedisServer)('Redis away', () => {
  it('never blocks or fails appends; their publication waits and goes out in order once Redis is back', async () => {
    const redis = privateRedis(await freePort());
    cleanup.push(() => redis.stop());
    // Redis is not running yet: the service must start and take appends regardless.
    const t: TestService = await startTestService({ REDIS_URL: redis.url });
    cleanup.push(() => t.close());

    // Commits are timed from when this instance holds the relay lease: appends wait for it.
    expect(await waitUntil(async () => (await get(t.app, '/health')).body.relay !== 'starting', 5000)).toBe(true);
    const aggregateId = newId();
    const acked = [];
    for (let i = 0; i < 20; i++) {
      const res = await postJson(t.app, '/events', { event_type: 'task.progressed', aggregate_id: aggregateId, payload: { i } });
      expect(res.status).toBe(201);
      acked.push(res.body);
    }
    const lastAckAt = Date.now();
    const health = (await get(t.app, '/health')).body;
    expect(health).toMatchObject({ status: 'ok', redis: 'unavailable', publish_lag: 20 });
    expect(await metricValue(t, 'relay_publish_delay_seconds_count')).toBe(0);

    // Subscribe before the service can reach Redis, so the test sees every publication.
    await redis.start({ locked: true });
    const sub = await subscribeAll(t.channelPrefix, redis.lockedUrl);
    cleanup.push(async () => sub.close());
    const unlockedAt = Date.now();
    redis.unlock();
    await sub.waitFor(20, 15_000);
    expect(sub.messages.map((m) => m.event.id)).toEqual(acked.map((e) => e.id));
    expect(await waitUntil(async () => (await get(t.app, '/health')).body.publish_lag === 0, 5000)).toBe(true);
    expect((await get(t.app, '/health')).body.redis).toBe('ok');
    // The publish delay of each commit spans the outage: at least from the last ack to Redis's return.
    expect(await metricValue(t, 'relay_publish_delay_seconds_count')).toBe(20);
    expect(await metricValue(t, 'relay_publish_delay_seconds_sum')).toBeGreaterThanOrEqual((20 * (unlockedAt - lastAckAt)) / 1000);
  });

  it('a Redis that stops answering shows in /health and /ready, and /metrics and the consumer-group routes answer within 2 s', async () => {
    const redis = privateRedis(await freePort());
    cleanup.push(() => redis.stop());
    await redis.start();
    const t: TestService = await startTestService({ REDIS_URL: redis.url, REDIS_STREAMS: 'on' });
    cleanup.push(() => t.close());
    expect(await waitUntil(async () => (await get(t.app, '/health')).body.relay === 'running', 5000)).toBe(true);
    expect((await get(t.app, '/consumer-groups')).status).toBe(200);

    redis.pause();
    try {
      // Connected all along, so the connection's state alone said "ok" (and these routes took 5-10 s).
      for (const path of ['/health', '/ready', '/metrics', '/consumer-groups', '/consumer-groups/task/g1/parked']) {
        const started = performance.now();
        const res = await t.app.request(path);
        expect(performance.now() - started, path).toBeLessThan(2000);
        if (path === '/health' || path === '/ready') expect(((await res.json()) as { redis: string }).redis, path).toBe('unavailable');
        else if (path === '/metrics') expect(res.status).toBe(200);
        else {
          expect(res.status, path).toBe(503);
          expect(await res.json(), path).toMatchObject({ type: '/problems/redis-unavailable' });
        }
      }
    } finally {
      redis.resume();
    }
    expect(await waitUntil(async () => (await get(t.app, '/health')).body.redis === 'ok', 10_000)).toBe(true);
    expect((await get(t.app, '/consumer-groups')).status).toBe(200);
  });
});
