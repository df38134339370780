import { afterAll, describe, expect, it } from 'vitest';
import { get, newId, postJson } from '../support/http.ts';
import { metricValue, newChannelPrefix, startTestService, subscribeAll, type TestService } from '../support/service.ts';
import { waitUntil } from '../support/wait.ts';

const open: TestService[] = [];
afterAll(async () => {
  for (const s of open) await s.close().catch(() => {});
});

describe('relay with several instances on one database', () => {
  it('publishes each event once, and another instance takes over when the owner stops', async () => {
    const prefix = newChannelPrefix();
    const a = await startTestService({ REDIS_CHANNEL_PREFIX: prefix, RELAY_LEASE_MS: '1000' });
    const b = await startTestService({ REDIS_CHANNEL_PREFIX: prefix, RELAY_LEASE_MS: '1000' }, a.databaseUrl);
    open.push(a, b);
    const sub = await subscribeAll(prefix);

    const states = async () => [(await get(a.app, '/health')).body.relay, (await get(b.app, '/health')).body.relay].sort();
    expect(await waitUntil(async () => JSON.stringify(await states()) === '["running","standby"]', 5000)).toBe(true);

    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await postJson((i % 2 ? a : b).app, '/events', { event_type: 'task.progressed', aggregate_id: newId() })).body.id);
    await sub.waitFor(20);
    await new Promise((r) => setTimeout(r, 300));
    expect(sub.messages.map((m) => m.event.id)).toEqual(ids);

    const owner = (await get(a.app, '/health')).body.relay === 'running' ? a : b;
    const other = owner === a ? b : a;
    await owner.close();
    open.splice(open.indexOf(owner), 1);
    const later = (await postJson(other.app, '/events', { event_type: 'task.progressed', aggregate_id: newId() })).body.id;
    await sub.waitFor(21, 5000);
    sub.close();
    expect(sub.messages.map((m) => m.event.id)).toEqual([...ids, later]);
    expect((await get(other.app, '/health')).body).toMatchObject({ relay: 'running', publish_lag: 0 });
  });
});

describe('relay lease while idle', () => {
  it('when the poll interval is longer than the lease, an idle leader keeps its lease and still publishes an append at once', async () => {
    const prefix = newChannelPrefix();
    const t = await startTestService({ REDIS_CHANNEL_PREFIX: prefix, RELAY_LEASE_MS: '1000', RELAY_POLL_INTERVAL_MS: '60000' });
    open.push(t);
    const sub = await subscribeAll(prefix);
    expect(await waitUntil(async () => (await get(t.app, '/health')).body.relay === 'running', 5000)).toBe(true);

    // Idle for longer than the lease: the relay must have renewed it meanwhile.
    await new Promise((r) => setTimeout(r, 1500));
    const [lease] = await t.sql<{ owned: boolean }[]>`
      select owner is not null and lease_until > now() as owned from relay_checkpoints where name = 'redis'`;
    expect(lease?.owned).toBe(true);

    // Well before the next poll: published because the commit woke the relay, which held the lease.
    const { id } = (await postJson(t.app, '/events', { event_type: 'task.progressed', aggregate_id: newId() })).body;
    const [message] = await sub.waitForIds([id], 4000);
    sub.close();
    expect(message?.event.id).toBe(id);
  });
});

describe('relay catching up', () => {
  it('publishes a backlog of several batches at once, not one batch per poll interval', async () => {
    // A first instance whose Redis is unreachable stores events it cannot publish.
    const offline = await startTestService({ REDIS_URL: 'redis://127.0.0.1:1' });
    const ids: string[] = [];
    for (let b = 0; b < 5; b++) {
      const events = Array.from({ length: 50 }, () => ({ event_type: 'task.progressed', aggregate_id: newId() }));
      ids.push(...(await postJson(offline.app, '/events/batch', { events })).body.events.map((e: { id: string }) => e.id));
    }
    await offline.close();

    const prefix = newChannelPrefix();
    const sub = await subscribeAll(prefix);
    const started = Date.now();
    const t = await startTestService({ REDIS_CHANNEL_PREFIX: prefix, RELAY_BATCH_SIZE: '100', RELAY_POLL_INTERVAL_MS: '5000' }, offline.databaseUrl);
    open.push(t);
    const received = await sub.waitForIds(ids, 4000);
    const elapsed = Date.now() - started;
    sub.close();
    expect(received.map((m) => m.event.id)).toEqual(ids);
    expect(elapsed).toBeLessThan(4000); // three batches; one per poll interval would take 10 s
  });
});

describe('publish delay metric', () => {
  const delays = async (t: TestService) => ({
    count: await metricValue(t, 'relay_publish_delay_seconds_count'),
    sum: await metricValue(t, 'relay_publish_delay_seconds_sum'),
  });

  it('observes each commit of the publishing instance once Redis has it, and none of another instance', async () => {
    const prefix = newChannelPrefix();
    const a = await startTestService({ REDIS_CHANNEL_PREFIX: prefix, RELAY_LEASE_MS: '1000' });
    const b = await startTestService({ REDIS_CHANNEL_PREFIX: prefix, RELAY_LEASE_MS: '1000' }, a.databaseUrl);
    open.push(a, b);
    const relayOf = async (t: TestService) => (await get(t.app, '/health')).body.relay;
    expect(await waitUntil(async () => [await relayOf(a), await relayOf(b)].sort().join() === 'running,standby', 5000)).toBe(true);
    const [leader, standby] = (await relayOf(a)) === 'running' ? [a, b] : [b, a];
    const sub = await subscribeAll(prefix);

    // One event, then three in one commit: two commits of the leader.
    const one = (await postJson(leader.app, '/events', { event_type: 'task.progressed', aggregate_id: newId() })).body.id;
    const batch = (await postJson(leader.app, '/events/batch', { events: [1, 2, 3].map(() => ({ event_type: 'task.progressed', aggregate_id: newId() })) })).body.events.map((e: { id: string }) => e.id);
    await sub.waitForIds([one, ...batch], 5000);
    expect(await waitUntil(async () => (await delays(leader)).count === 2, 2000)).toBe(true);
    const { sum } = await delays(leader);
    expect(sum).toBeGreaterThan(0);
    expect(sum).toBeLessThan(5);

    // A commit of the standby is published by the leader, which did not see it committed.
    const other = (await postJson(standby.app, '/events', { event_type: 'task.progressed', aggregate_id: newId() })).body.id;
    await sub.waitForIds([other], 5000);
    sub.close();
    await new Promise((r) => setTimeout(r, 200));
    expect((await delays(leader)).count).toBe(2);
    expect((await delays(standby)).count).toBe(0);
  });
});
