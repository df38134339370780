import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, newId, postJson } from '../support/http.ts';
import { testRedisUrl } from '../support/env.ts';
import { startTestService, subscribeAll, type TestService } from '../support/service.ts';
import { freePort } from '../../src/postgres/free-port.ts';
import { hasRedisServer, privateRedis } from '../support/private-redis.ts';
import { waitUntil } from '../support/wait.ts';

let t: TestService;
beforeAll(async () => {
  t = await startTestService({ REPLAY_BATCH_SIZE: '50' });
});
afterAll(() => t.close());

async function listen(channel: string) {
  const redis = new Redis(testRedisUrl);
  const got: any[] = [];
  redis.on('message', (_c: string, body: string) => got.push(JSON.parse(body)));
  await redis.subscribe(channel);
  return { got, close: () => redis.disconnect() };
}

async function waitStatus(id: string, status: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = (await get(t.app, `/replays/${id}`)).body;
    if (r.status === status || Date.now() > deadline) return r;
    await new Promise((res) => setTimeout(res, 20));
  }
}

describe('replays', () => {
  it('republishes the filtered events in position order, marked, to a replay channel; stored events unchanged', async () => {
    const aggregateId = newId();
    const events = Array.from({ length: 120 }, (_, i) => ({ event_type: i % 3 ? 'task.progressed' : 'agent.noted', aggregate_id: aggregateId, payload: { i } }));
    const stored = (await postJson(t.app, '/events/batch', { events })).body.events.filter((e: any) => e.aggregate_type === 'task');
    const sub = await listen(`${t.channelPrefix}replay:audit-1`);
    const res = await postJson(t.app, '/replays', { filter: { aggregate_type: 'task', aggregate_id: aggregateId }, channel: 'replay:audit-1' });
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBe(`/replays/${res.body.id}`);
    expect(res.body).toEqual({ id: expect.any(String), channel: 'replay:audit-1', status: 'running' });
    const done = await waitStatus(res.body.id, 'completed');
    expect(done).toMatchObject({ status: 'completed', published: stored.length, last_position: stored[stored.length - 1].position });
    await new Promise((r) => setTimeout(r, 100));
    sub.close();
    expect(sub.got.map((e) => e.id)).toEqual(stored.map((e: any) => e.id));
    expect(sub.got.every((e) => e.metadata.replay === true && e.metadata.replay_id === res.body.id)).toBe(true);
    const again = (await get(t.app, `/events/${stored[0].id}`)).body;
    expect(again.metadata).toEqual({});
  });

  it('without a channel, republishes to the live events:<aggregate_type> channels', async () => {
    const aggregateId = newId();
    const e = (await postJson(t.app, '/events', { event_type: 'plan.approved', aggregate_id: aggregateId })).body;
    const sub = await subscribeAll(t.channelPrefix);
    const res = await postJson(t.app, '/replays', { filter: { aggregate_id: aggregateId } });
    expect(res.body.channel).toBeNull();
    await waitStatus(res.body.id, 'completed');
    const got = await sub.waitForIds([e.id]);
    sub.close();
    expect(got.map((m) => m.channel)).toContain(`${t.channelPrefix}events:plan`);
    expect(JSON.parse(got.find((m) => JSON.parse(m.body).metadata.replay)!.body).metadata.replay_id).toBe(res.body.id);
  });

  it('covers only events committed before it started', async () => {
    const aggregateId = newId();
    await postJson(t.app, '/events/batch', { events: Array.from({ length: 5 }, () => ({ event_type: 'run.stepped', aggregate_id: aggregateId })) });
    const res = await postJson(t.app, '/replays', { filter: { aggregate_id: aggregateId }, channel: 'replay:bounded' });
    await postJson(t.app, '/events', { event_type: 'run.stepped', aggregate_id: aggregateId });
    const done = await waitStatus(res.body.id, 'completed');
    expect(done.published).toBe(5);
  });

  it('can be cancelled, and then stops publishing', async () => {
    await postJson(t.app, '/events/batch', { events: Array.from({ length: 1000 }, () => ({ event_type: 'run.stepped', aggregate_id: newId() })) });
    const slow = await startTestService({ REPLAY_BATCH_SIZE: '10', REPLAY_PAUSE_MS: '50' }, t.databaseUrl);
    const sub = await listen(`${slow.channelPrefix}replay:cancel-me`);
    const res = await postJson(slow.app, '/replays', { filter: { event_type: 'run.stepped' }, channel: 'replay:cancel-me' });
    await new Promise((r) => setTimeout(r, 150));
    const del = await slow.app.request(`/replays/${res.body.id}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    const cancelled = (await del.json()) as any;
    expect(cancelled.status).toBe('cancelled');
    await new Promise((r) => setTimeout(r, 200));
    const later = (await get(slow.app, `/replays/${res.body.id}`)).body;
    expect(later.published).toBe(cancelled.published);
    expect(later.published).toBeLessThan(1000);
    // What it says went out is what went out: the batch in flight at the cancel counts too.
    expect(sub.got.length).toBe(later.published);
    expect(sub.got.at(-1).position).toBe(later.last_position);
    sub.close();
    await slow.close();
  });

  it('leaves a replay whose instance stopped renewing it failed, with its error, when asked to cancel it', async () => {
    const res = await postJson(t.app, '/replays', { filter: { event_type: 'nothing.here' }, dry_run: false, channel: 'replay:stale' });
    await waitStatus(res.body.id, 'completed');
    // As the row of a replay whose instance died is left: running, not renewed for over 30 s.
    await t.sql`update replays set status = 'running', updated_at = now() - interval '1 minute' where id = ${res.body.id}`;
    const del = await t.app.request(`/replays/${res.body.id}`, { method: 'DELETE' });
    expect(await del.json()).toMatchObject({ status: 'failed', error: 'the replaying instance stopped renewing it' });
    expect((await get(t.app, `/replays/${res.body.id}`)).body).toMatchObject({ status: 'failed', error: 'the replaying instance stopped renewing it' });
  });

  it.each([
    [{ channel: 'events:agent' }, '/channel'],
    [{ channel: 'replay:*' }, '/channel'],
    [{ filter: { aggregate_type: 'A' } }, '/filter/aggregate_type'],
    [{ filter: { limit: 5 } }, '/filter/limit'],
    [{ filter: { from: 'yesterday' } }, '/filter/from'],
    [{ filter: [] }, '/filter'],
    [{ other: 1 }, '/other'],
  ])('refuses %j with 422', async (body, pointer) => {
    const res = await postJson(t.app, '/replays', body);
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: any) => e.pointer)).toContain(pointer);
  });

  it('answers 404 for an unknown replay and 400 for a bad id', async () => {
    expect((await get(t.app, `/replays/${newId()}`)).status).toBe(404);
    expect((await get(t.app, '/replays/nope')).status).toBe(400);
    expect((await t.app.request(`/replays/${newId()}`, { method: 'DELETE' })).status).toBe(404);
  });
});

describe.runIf(hasRedisServer)('a replay while Redis is down', () => {
  it('can be cancelled at once, and publishes nothing once Redis is back', async () => {
    const redis = privateRedis(await freePort());
    await redis.start();
    const r = await startTestService({ REDIS_URL: redis.url, REPLAY_BATCH_SIZE: '50', REQUEST_TIMEOUT_MS: '5000' });
    try {
      expect((await postJson(r.app, '/events/batch', { events: Array.from({ length: 20 }, () => ({ event_type: 'crate.noted', aggregate_id: newId() })) })).status).toBe(201);
      await redis.stop();
      const started = await postJson(r.app, '/replays', { filter: { aggregate_type: 'crate' }, channel: 'replay:down' });
      expect(started.status).toBe(202);
      expect(await waitUntil(async () => String((await get(r.app, `/replays/${started.body.id}`)).body.error).startsWith('retrying'))).toBe(true);
      const cancelled = await r.app.request(`/replays/${started.body.id}`, { method: 'DELETE' });
      expect(cancelled.status).toBe(200);
      expect(await cancelled.json()).toMatchObject({ status: 'cancelled', published: 0 });

      await redis.start();
      const sub = new Redis(redis.url);
      const got: string[] = [];
      sub.on('message', (_c: string, body: string) => got.push(body));
      await sub.subscribe(`${r.channelPrefix}replay:down`);
      await new Promise((res) => setTimeout(res, 1500));
      sub.disconnect();
      expect(got).toEqual([]);
      expect((await get(r.app, `/replays/${started.body.id}`)).body).toMatchObject({ status: 'cancelled', published: 0 });
    } finally {
      await r.close();
      await redis.stop();
    }
  }, 30_000);
});
