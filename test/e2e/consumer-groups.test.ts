import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsStreamKey, parkedStreamKey, replayStreamKey } from '../../src/events/stream-keys.ts';
import { storeEventReader } from '../../src/store/store-reader.ts';
import type { Consumer } from '../../src/client/consume.ts';
import { archiveNow, putPolicy, tempArchive, waitPublished } from '../support/archive.ts';
import { record, startConsumer } from '../support/consume.ts';
import { runCli as cli } from '../support/cli.ts';
import { testRedisUrl } from '../support/env.ts';
import { get, newId, postJson } from '../support/http.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { deleteKeys } from '../support/streams.ts';
import { waitUntil } from '../support/wait.ts';


let t: TestService;
let url: string;
const cleanup: (() => Promise<unknown>)[] = [];
beforeAll(async () => {
  t = await startTestService({ REDIS_STREAMS: 'on', PORT: '0' });
  url = `http://127.0.0.1:${(await t.service.listen()).port}`;
});
afterAll(async () => {
  for (const f of cleanup.reverse()) await f().catch(() => {});
  await t.close();
  await deleteKeys(t.channelPrefix);
});

const problem = (res: { status: number; headers: Headers; body: { status?: number } }, status: number) => {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect(res.body.status).toBe(status);
};

describe('/consumer-groups', () => {
  it('reports each group of each stream: consumers, pending, lag, oldest pending, parked; the same as metrics; parked events are listed and replayed', async () => {
    const poisonAggregate = newId();
    let healed = false;
    const handled = record();
    const c = await startConsumer(t, {
      redisUrl: testRedisUrl, group: 'billing', consumer: 'w1', start: 'beginning', maxAttempts: 2, retryDelay: { initialMs: 20 },
      handler: (e) => {
        if ((e.payload as { poison?: boolean }).poison && !healed) throw new Error('no price for this task');
      },
    }, handled);
    cleanup.push(() => c.stop());
    await postJson(t.app, '/events/batch', { events: [
      { event_type: 'task.created', aggregate_id: poisonAggregate, payload: { poison: true } },
      ...Array.from({ length: 9 }, () => ({ event_type: 'task.created', aggregate_id: newId() })),
    ] });
    expect(await waitUntil(() => c.stats().parked === 1 && handled.handled.length === 9, 10_000)).toBe(true);
    await c.stop();
    // Appended while no consumer runs: lag.
    await postJson(t.app, '/events/batch', { events: Array.from({ length: 5 }, () => ({ event_type: 'task.created', aggregate_id: newId() })) });
    await waitUntil(async () => (await get(t.app, '/health')).body.publish_lag === 0);

    const list = await get(t.app, '/consumer-groups');
    expect(list.status).toBe(200);
    expect(list.body.groups).toEqual([{
      aggregate_type: 'task', stream: `${t.channelPrefix}stream:events:task`, group: 'billing', consumers: 0, pending: 0, lag: 5,
      oldest_pending_seconds: null, parked: 1, last_delivered_position: 10,
    }]);
    expect((await get(t.app, '/consumer-groups?aggregate_type=agent')).body).toEqual({ groups: [] });
    const metrics = await (await t.app.request('/metrics')).text();
    expect(metrics).toContain('consumer_group_lag_events{aggregate_type="task",group="billing"} 5');
    expect(metrics).toContain('consumer_group_parked_events{aggregate_type="task",group="billing"} 1');

    const parked = await get(t.app, '/consumer-groups/task/billing/parked');
    expect(parked.status).toBe(200);
    expect(parked.body.parked).toHaveLength(1);
    expect(parked.body.parked[0]).toMatchObject({ error: 'no price for this task', attempts: 2, consumer: 'w1', source: 'stream', event: { aggregate_id: poisonAggregate } });
    expect(parked.body.next_after).toBeNull();

    // The fix is deployed; the CLI sends the parked event back; a consumer handles it.
    healed = true;
    const replay = await cli(['parked', 'replay', 'task', 'billing', '--url', url]);
    expect(replay.stderr).toContain('replayed 1 parked event of task/billing');
    expect(replay.code).toBe(0);
    expect((await get(t.app, '/consumer-groups/task/billing/parked')).body.parked).toEqual([]);
    const again = await startConsumer(t, { redisUrl: testRedisUrl, group: 'billing', consumer: 'w2', handler: (e, ctx) => void (e.aggregate_id === poisonAggregate && expect(ctx.source).toBe('replay')) }, handled);
    cleanup.push(() => again.stop());
    expect(await waitUntil(() => handled.handled.filter((e) => e.aggregate_id === poisonAggregate).length === 1 && handled.handled.length === 15, 10_000)).toBe(true);
    // A parked event discarded with the CLI: gone from the list, still in the store.
    const redis = new Redis(testRedisUrl);
    cleanup.push(() => redis.quit());
    const event = (await get(t.app, `/events?aggregate_id=${poisonAggregate}`)).body.events[0];
    const parkedId = (await redis.xadd(parkedStreamKey(t.channelPrefix, 'task', 'billing'), '*', 'event', JSON.stringify(event), 'error', 'given up', 'attempts', '2', 'consumer', 'w2', 'source', 'stream', 'parked_at', new Date().toISOString()))!;
    const unnamed = await cli(['parked', 'discard', 'task', 'billing', '--url', url]);
    expect(unnamed.code).toBe(2);
    expect(unnamed.stderr).toContain('discard deletes only what it is told to: give --id ENTRY_ID or --limit N');
    const discarded = await cli(['parked', 'discard', 'task', 'billing', '--id', parkedId, '--url', url]);
    expect(discarded.stderr).toContain('discarded 1 parked event of task/billing');
    expect((await get(t.app, '/consumer-groups/task/billing/parked')).body.parked).toEqual([]);
    expect((await get(t.app, `/events/${event.id}`)).status).toBe(200);
    const listed = await cli(['consumer-groups', '--url', url]);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout.trim())).toMatchObject({ group: 'billing', parked: 0, lag: 0 });
  });

  it('ages the oldest pending entry from its event\'s append, however often its consumer claims it again', async () => {
    const redis = new Redis(testRedisUrl);
    cleanup.push(() => redis.quit());
    const res = await postJson(t.app, '/events', { event_type: 'parcel.created', aggregate_id: newId() });
    await waitPublished(t, res.body.position);
    const stream = eventsStreamKey(t.channelPrefix, 'parcel');
    await redis.xgroup('CREATE', stream, 'slow', '0');
    const read = (await redis.xreadgroup('GROUP', 'slow', 'w1', 'COUNT', 1, 'STREAMS', stream, '>')) as [string, [string, string[]][]][];
    const id = read[0]![1][0]![0];
    // What a live consume() does to the entries it holds (ADR 36): Redis's idle time stays near 0.
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 200));
      await redis.xclaim(stream, 'slow', 'w1', 0, id, 'JUSTID');
    }
    const [group] = (await get(t.app, '/consumer-groups?aggregate_type=parcel')).body.groups;
    expect(group).toMatchObject({ group: 'slow', pending: 1 });
    const appendedAgo = (Date.now() - Date.parse(res.body.created_at)) / 1000;
    expect(group.oldest_pending_seconds).toBeGreaterThanOrEqual(1.2);
    expect(group.oldest_pending_seconds).toBeLessThanOrEqual(appendedAgo);
  });

  it('counts a consumer from its start, before anything is delivered to it', async () => {
    // Redis 7.0 registers a consumer only when XREADGROUP delivers it something.
    await postJson(t.app, '/events', { event_type: 'shipment.created', aggregate_id: newId() });
    const c = await startConsumer(t, { redisUrl: testRedisUrl, aggregateTypes: ['shipment'], group: 'idle', consumer: 'w1', start: 'end', handler: () => {} }, record());
    cleanup.push(() => c.stop());
    expect(await waitUntil(async () => (await get(t.app, '/consumer-groups?aggregate_type=shipment')).body.groups?.[0]?.consumers === 1)).toBe(true);
    await c.stop();
    expect((await get(t.app, '/consumer-groups?aggregate_type=shipment')).body.groups[0]).toMatchObject({ group: 'idle', consumers: 0 });
  });

  it('lists a group created on the stream of a type the store has no event of yet, and its gauges', async () => {
    const redis = new Redis(testRedisUrl);
    cleanup.push(() => redis.quit());
    // What a consume() deployed before its type's first event does.
    await redis.xgroup('CREATE', eventsStreamKey(t.channelPrefix, 'neverseen'), 'early', '$', 'MKSTREAM');
    const listed = async () => ((await get(t.app, '/consumer-groups')).body.groups as { aggregate_type: string }[]).filter((g) => g.aggregate_type === 'neverseen');
    expect(await waitUntil(async () => (await listed()).length > 0)).toBe(true);
    expect(await listed()).toEqual([{
      aggregate_type: 'neverseen', stream: `${t.channelPrefix}stream:events:neverseen`, group: 'early', consumers: 0, pending: 0, lag: 0,
      oldest_pending_seconds: null, parked: 0, last_delivered_position: 0,
    }]);
    expect(await waitUntil(async () => (await (await t.app.request('/metrics')).text()).includes('consumer_group_consumers{aggregate_type="neverseen",group="early"} 0'))).toBe(true);
  });

  it('answers bad paths, queries and bodies with 4xx problem+json', async () => {
    problem(await get(t.app, '/consumer-groups?aggregate_type=Task*'), 400);
    problem(await get(t.app, '/consumer-groups?aggregate_type=task&aggregate_type=plan'), 400);
    problem(await get(t.app, '/consumer-groups?group=x'), 400);
    problem(await get(t.app, '/consumer-groups/Task/billing/parked'), 400);
    problem(await get(t.app, '/consumer-groups/task/bad:name/parked'), 400);
    problem(await get(t.app, '/consumer-groups/task/billing/parked?limit=0'), 400);
    problem(await get(t.app, '/consumer-groups/task/billing/parked?after=soon'), 400);
    // Ids Redis would refuse: a part past 2^64 - 1.
    problem(await get(t.app, '/consumer-groups/task/billing/parked?after=18446744073709551616-0'), 400);
    problem(await get(t.app, '/consumer-groups/task/billing/parked?after=1-18446744073709551616'), 400);
    problem(await postJson(t.app, '/consumer-groups/task/billing/parked/replay', { ids: ['18446744073709551616-0'] }), 422);
    const last = await get(t.app, '/consumer-groups/task/billing/parked?after=18446744073709551615-18446744073709551615');
    expect([last.status, last.body]).toEqual([200, { parked: [], next_after: null }]);
    problem(await get(t.app, '/consumer-groups/task/nobody/parked'), 404);
    problem(await postJson(t.app, '/consumer-groups/task/nobody/parked/replay', {}), 404);
    const invalid = await postJson(t.app, '/consumer-groups/task/billing/parked/replay', { limit: 0, ids: ['x'], all: true });
    problem(invalid, 422);
    expect(invalid.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['', '/ids/0', '/limit']);
    problem(await postJson(t.app, '/consumer-groups/task/billing/parked/replay', '{"limit":'), 400);
    const text = await t.app.request('/consumer-groups/task/billing/parked/replay', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    expect(text.status).toBe(415);
    expect((await t.app.request('/consumer-groups', { method: 'DELETE' })).status).toBe(405);
    const usage = await cli(['parked', 'replay', 'task', '--url', url]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('expected list, replay or discard, then AGGREGATE_TYPE and GROUP');
  });
});

describe('parked replay', () => {
  it('moves an entry named twice once', async () => {
    const redis = new Redis(testRedisUrl);
    cleanup.push(() => redis.quit());
    await redis.xgroup('CREATE', eventsStreamKey(t.channelPrefix, 'invoice'), 'billing', '0', 'MKSTREAM');
    const [event] = (await postJson(t.app, '/events/batch', { events: [{ event_type: 'invoice.created', aggregate_id: newId() }] })).body.events;
    const id = await redis.xadd(parkedStreamKey(t.channelPrefix, 'invoice', 'billing'), '*', 'event', JSON.stringify(event), 'error', 'x', 'attempts', '1');
    const res = await postJson(t.app, '/consumer-groups/invoice/billing/parked/replay', { ids: [id, id, id] });
    expect([res.status, res.body]).toEqual([200, { replayed: 1, ids: [id] }]);
    expect(await redis.xlen(replayStreamKey(t.channelPrefix, 'invoice', 'billing'))).toBe(1);
  });
});

describe('/consumer-groups once a stream type has left PostgreSQL', () => {
  it('still lists the groups of a type whose every event was archived', async () => {
    const archive = await tempArchive();
    const s = await startTestService({ REDIS_STREAMS: 'on', ARCHIVE_URL: archive.url });
    const redis = new Redis(testRedisUrl);
    try {
      const { position } = (await postJson(s.app, '/events', { event_type: 'ledger.opened', aggregate_id: newId() })).body;
      await waitPublished(s, position);
      await redis.xgroup('CREATE', eventsStreamKey(s.channelPrefix, 'ledger'), 'audit', '0', 'MKSTREAM');
      await putPolicy(s.app, 'ledger', { archive_after: 'PT0S' });
      expect((await archiveNow(s.app)).archived).toBe(1);
      expect((await get(s.app, '/events?aggregate_type=ledger&tier=hot')).body.events).toEqual([]);
      expect((await get(s.app, '/consumer-groups')).body.groups).toEqual([expect.objectContaining({ aggregate_type: 'ledger', group: 'audit' })]);
    } finally {
      redis.disconnect();
      await s.close();
      await deleteKeys(s.channelPrefix);
      await archive.remove();
    }
  });

  it('counts in lag the archived events after a group, as many as consume() then handles', async () => {
    const archive = await tempArchive();
    const s = await startTestService({ REDIS_STREAMS: 'on', ARCHIVE_URL: archive.url });
    const redis = new Redis(testRedisUrl);
    const append = async (n: number): Promise<number[]> => {
      const { events } = (await postJson(s.app, '/events/batch', { events: Array.from({ length: n }, () => ({ event_type: 'journal.entered', aggregate_id: newId() })) })).body;
      await waitPublished(s, events[n - 1].position);
      return events.map((e: { position: number }) => e.position);
    };
    let consumer: Consumer | undefined;
    try {
      const archived = await append(10);
      await putPolicy(s.app, 'journal', { archive_after: 'PT0S' });
      expect((await archiveNow(s.app)).archived).toBe(10);
      await append(2);
      const stream = eventsStreamKey(s.channelPrefix, 'journal');
      // The window moved past the archived events: only the store has them.
      await redis.xtrim(stream, 'MAXLEN', 2);
      await redis.xgroup('CREATE', stream, 'audit', '0');
      // A position inside the archived segment: its 6 later events count.
      await redis.xgroup('CREATE', stream, 'midway', `${archived[3]}-0`);
      const lags = async () => Object.fromEntries(((await get(s.app, '/consumer-groups')).body.groups as { group: string; lag: number }[]).map((g) => [g.group, g.lag]));
      expect(await lags()).toEqual({ audit: 12, midway: 8 });
      const metrics = await (await s.app.request('/metrics')).text();
      expect(metrics).toContain('consumer_group_lag_events{aggregate_type="journal",group="audit"} 12');
      expect(metrics).toContain('consumer_group_lag_events{aggregate_type="journal",group="midway"} 8');

      const handled = record();
      consumer = await startConsumer(s, { redisUrl: testRedisUrl, reader: storeEventReader(s.service.store), aggregateTypes: ['journal'], group: 'audit', handler: () => {} }, handled);
      expect(await waitUntil(() => handled.handled.length === 12)).toBe(true);
      expect(handled.sources.filter((source) => source === 'store')).toHaveLength(10);
      expect(await waitUntil(async () => (await lags()).audit === 0)).toBe(true);
    } finally {
      await consumer?.stop();
      redis.disconnect();
      await s.close();
      await deleteKeys(s.channelPrefix);
      await archive.remove();
    }
  });
});
