import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/events/event.ts';
import { storeEventReader } from '../../src/store/store-reader.ts';
import { subscribe, type Checkpoint } from '../../src/client/subscribe.ts';
import { closeAfterEach } from '../support/cleanup.ts';
import { testRedisUrl } from '../support/env.ts';
import { get, newId, postJson } from '../support/http.ts';
import { freePort } from '../../src/postgres/free-port.ts';
import { hasRedisServer, privateRedis } from '../support/private-redis.ts';
import { startTestService } from '../support/service.ts';
import { waitUntil as until } from '../support/wait.ts';

const cleanup = closeAfterEach();

function collector() {
  const seen: StoredEvent[] = [];
  return { seen, onEvent: (e: StoredEvent) => void seen.push(e) };
}

const memoryCheckpoint = (): Checkpoint & { value?: number } => ({
  value: undefined,
  async load() {
    return this.value;
  },
  async save(p) {
    this.value = p;
  },
});

describe('subscribe()', () => {
  it('catches up from the store, then follows Redis, every event once and in position order', async () => {
    const t = await startTestService();
    cleanup.push(() => t.close());
    const events = Array.from({ length: 30 }, () => ({ event_type: 'task.created', aggregate_id: newId() }));
    const first = (await postJson(t.app, '/events/batch', { events })).body.events;
    const c = collector();
    const sub = await subscribe({ redisUrl: testRedisUrl, channelPrefix: t.channelPrefix, reader: storeEventReader(t.sql), pageSize: 7, onEvent: c.onEvent });
    cleanup.push(() => sub.close());
    expect(await until(() => c.seen.length === 30)).toBe(true);
    const later = [];
    for (let i = 0; i < 20; i++) later.push((await postJson(t.app, '/events', { event_type: 'agent.created', aggregate_id: newId() })).body);
    expect(await until(() => c.seen.length === 50)).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(c.seen.map((e) => e.id)).toEqual([...first, ...later].map((e) => e.id));
    expect(sub.position).toBe(later[19].position);
  });

  it('resumes after its checkpoint, and filters by aggregate type', async () => {
    const t = await startTestService();
    cleanup.push(() => t.close());
    const checkpoint = memoryCheckpoint();
    const c1 = collector();
    const opts = { redisUrl: testRedisUrl, channelPrefix: t.channelPrefix, aggregateTypes: ['task', 'plan'], reader: storeEventReader(t.sql), checkpoint };
    const sub1 = await subscribe({ ...opts, onEvent: c1.onEvent });
    const a = (await postJson(t.app, '/events', { event_type: 'task.created', aggregate_id: newId() })).body;
    await postJson(t.app, '/events', { event_type: 'agent.created', aggregate_id: newId() });
    expect(await until(() => c1.seen.length === 1)).toBe(true);
    await sub1.close();
    expect(checkpoint.value).toBe(a.position);

    const b = (await postJson(t.app, '/events', { event_type: 'plan.created', aggregate_id: newId() })).body;
    await postJson(t.app, '/events/batch', { events: Array.from({ length: 1500 }, () => ({ event_type: 'agent.noted', aggregate_id: newId() })) });
    const c = (await postJson(t.app, '/events', { event_type: 'task.done', aggregate_id: newId() })).body;
    const c2 = collector();
    const sub2 = await subscribe({ ...opts, onEvent: c2.onEvent });
    cleanup.push(() => sub2.close());
    expect(await until(() => c2.seen.length === 2)).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(c2.seen.map((e) => e.id)).toEqual([b.id, c.id]);
  });

  it.skipIf(!hasRedisServer)('across a Redis restart sees every event exactly once, in order', async () => {
    const redis = privateRedis(await freePort());
    await redis.start();
    cleanup.push(() => redis.stop());
    const t = await startTestService({ REDIS_URL: redis.url });
    cleanup.push(() => t.close());
    const c = collector();
    const errors: string[] = [];
    const sub = await subscribe({ redisUrl: redis.url, channelPrefix: t.channelPrefix, reader: storeEventReader(t.sql), onEvent: c.onEvent, onError: (e) => void errors.push((e as Error).message) });
    cleanup.push(() => sub.close());

    const acked: string[] = [];
    let writing = true;
    const aggregates = Array.from({ length: 4 }, () => newId());
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        const res = await postJson(t.app, '/events', { event_type: 'task.progressed', aggregate_id: aggregates[i % 4], payload: { i } });
        if (res.status === 201) acked.push(res.body.id);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await until(() => c.seen.length > 20);
    await redis.stop();
    await new Promise((r) => setTimeout(r, 1500));
    await redis.start();
    await new Promise((r) => setTimeout(r, 1000));
    writing = false;
    await writer;
    expect(await until(() => c.seen.length >= acked.length, 15_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    expect(new Set(c.seen.map((e) => e.id)).size).toBe(c.seen.length);
    expect(c.seen.map((e) => e.id)).toEqual(acked);
    expect(errors.length).toBeGreaterThan(0); // the reconnects that failed while Redis was down
    expect(errors.every((m) => /ECONNREFUSED|Connection is closed/.test(m))).toBe(true);
    let lag = -1;
    await until(() => lag === 0, 0);
    for (const deadline = Date.now() + 10_000; Date.now() < deadline && lag !== 0; ) {
      lag = (await get(t.app, '/health')).body.publish_lag;
      if (lag !== 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(lag).toBe(0);
  });
});
