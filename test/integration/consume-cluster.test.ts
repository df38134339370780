import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/events/event.ts';
import { eventsStreamKey } from '../../src/events/stream-keys.ts';
import { startAppends } from '../support/cluster-load.ts';
import { moveSlotOf } from '../support/cluster-slots.ts';
import { firstSeenOutOfOrder, outOfOrder, startConsumer } from '../support/consume.ts';
import { get, newId, postJson } from '../support/http.ts';
import { startRedisCluster, type PrivateRedisCluster } from '../support/private-redis-cluster.ts';
import { hasRedisServer } from '../support/private-redis.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { waitUntil } from '../support/wait.ts';

const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await Promise.resolve(f()).catch(() => {});
});

const CANDIDATES = ['task', 'plan', 'agent', 'order', 'invoice', 'shipment'];

/** Appends `perAggregate` events to each of `aggregates` new aggregates of every type, interleaved, in one batch. */
async function append(t: TestService, types: string[], aggregates: number, perAggregate: number, payload: (type: string, a: number, i: number) => object = () => ({})) {
  const ids = types.map(() => Array.from({ length: aggregates }, () => newId()));
  const events = [];
  for (let i = 0; i < perAggregate; i++) for (const [k, type] of types.entries()) for (let a = 0; a < aggregates; a++) events.push({ event_type: `${type}.progressed`, aggregate_id: ids[k]![a], payload: payload(type, a, i) });
  const res = await postJson(t.app, '/events/batch', { events });
  expect(res.status).toBe(201);
  return res.body.events as StoredEvent[];
}

/** Appends in a loop to a few aggregates per type (so order matters) until stopped. */
function writer(t: TestService, types: string[]) {
  const aggregates = types.flatMap((type) => Array.from({ length: 4 }, () => ({ type, id: newId() })));
  return startAppends(t.app, (i) => aggregates.map((a) => ({ event_type: `${a.type}.progressed`, aggregate_id: a.id, payload: { i } })), 10);
}

describe.skipIf(!hasRedisServer)('consume() on a Redis Cluster', () => {
  let cluster: PrivateRedisCluster;

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
    cleanup.push(() => cluster.stop());
  });

  async function service(): Promise<TestService> {
    const t = await startTestService({ REDIS_CLUSTER_NODES: cluster.addresses.join(','), REDIS_STREAMS: 'on', REDIS_STREAMS_CHECK_MS: '200' });
    cleanup.push(() => t.close());
    return t;
  }

  /** Two types whose streams (and so all their groups' keys) are served by different masters. */
  async function typesOnTwoMasters(t: TestService): Promise<[string, string]> {
    const owners = await Promise.all(CANDIDATES.map(async (type) => (await cluster.masterForKey(eventsStreamKey(t.channelPrefix, type))).id));
    const second = owners.findIndex((id) => id !== owners[0]);
    expect(second).toBeGreaterThan(0);
    return [CANDIDATES[0]!, CANDIDATES[second]!];
  }

  it('handles every event of two types on two masters once, in order per aggregate, and parks a poison event where the service lists it', async () => {
    const t = await service();
    const types = await typesOnTwoMasters(t);
    const failures: unknown[] = [];
    const c = await startConsumer(t, {
      redisClusterNodes: cluster.addresses.join(','), aggregateTypes: types, group: 'g1', start: 'beginning', concurrency: 8, maxAttempts: 2, retryDelay: { initialMs: 20 },
      onError: (error, event) => void (event || failures.push(error)),
      handler: async (e) => {
        if ((e.payload as { poison?: boolean }).poison) throw new Error('cannot handle this one');
        await new Promise((r) => setTimeout(r, Math.random() * 3));
      },
    });
    cleanup.push(() => c.stop());
    const stored = await append(t, types, 6, 10, (type, a, i) => (type === types[1] && a === 0 && i === 3 ? { poison: true } : {}));
    const poison = stored.find((e) => (e.payload as { poison?: boolean }).poison)!;
    const expected = stored.filter((e) => e.id !== poison.id);
    expect(await waitUntil(() => c.recorder.handled.length >= expected.length && c.stats().parked === 1, 15_000)).toBe(true);
    expect(outOfOrder(c.recorder.handled)).toBe(0);

    const parked = await get(t.app, `/consumer-groups/${types[1]}/g1/parked`);
    expect(parked.status).toBe(200);
    expect(parked.body.parked).toHaveLength(1);
    expect(parked.body.parked[0]).toMatchObject({ error: 'cannot handle this one', attempts: 2, consumer: 'c1', source: 'stream', event: { id: poison.id } });
    const groups = async () => (await get(t.app, '/consumer-groups')).body.groups as { aggregate_type: string; pending: number; parked: number }[];
    expect(await waitUntil(async () => (await groups()).filter((g) => g.pending === 0).length === 2, 10_000)).toBe(true);
    expect((await groups()).map((g) => [g.aggregate_type, g.parked]).sort()).toEqual(types.map((type, i) => [type, i]).sort());
    // Everything acknowledged, nothing handled twice, and no Redis command refused (CROSSSLOT) or failed.
    expect(c.recorder.handled.map((e) => e.id).sort()).toEqual(expected.map((e) => e.id).sort());
    expect(failures).toEqual([]);
    await c.stop();
    expect((await get(t.app, '/consumer-groups')).body.groups.map((g: { consumers: number }) => g.consumers)).toEqual([0, 0]);
  });

  it('under continuous appends, a slot moving to another master (ASK, then MOVED) loses no event and keeps each aggregate in order', async () => {
    const t = await service();
    const [moved, other] = await typesOnTwoMasters(t);
    const c = await startConsumer(t, { redisClusterNodes: cluster.addresses, aggregateTypes: [moved, other], group: 'g3', start: 'beginning', concurrency: 8 });
    cleanup.push(() => c.stop());
    const load = writer(t, [moved, other]);
    cleanup.push(() => load.stop());
    expect(await load.more(80)).toBe(true);
    const before = await cluster.masterForKey(eventsStreamKey(t.channelPrefix, moved));
    const after = await moveSlotOf(cluster, eventsStreamKey(t.channelPrefix, moved));
    expect(after.id).not.toBe(before.id);
    expect(await load.more(80)).toBe(true);
    await load.stop();

    const rows = await t.sql<{ id: string }[]>`select id from events where aggregate_type = any(${[moved, other]})`;
    const handled = () => new Set(c.recorder.handled.map((e) => e.id));
    expect(await waitUntil(() => rows.every((r) => handled().has(r.id)), 20_000)).toBe(true);
    expect(handled().size).toBe(rows.length);
    expect(firstSeenOutOfOrder(c.recorder)).toEqual([]);
    await c.stop();
  });

  it('under continuous appends, a CLUSTER FAILOVER and a SIGKILL of a master miss no acknowledged event and keep each aggregate in order', async () => {
    const t = await service();
    const [failedOver, killed] = await typesOnTwoMasters(t);
    const errors: unknown[] = [];
    const c = await startConsumer(t, { redisClusterNodes: cluster.addresses, aggregateTypes: [failedOver, killed], group: 'g2', start: 'beginning', concurrency: 8, onError: (e) => errors.push(e) });
    cleanup.push(() => c.stop());
    const load = writer(t, [failedOver, killed]);
    cleanup.push(() => load.stop());
    expect(await load.more(80)).toBe(true);

    const master = await cluster.masterForKey(eventsStreamKey(t.channelPrefix, failedOver));
    const replica = (await cluster.topology()).find((n) => n.masterId === master.id && !n.failed)!;
    await cluster.failover(replica.port);
    expect(await load.more(80)).toBe(true);

    const victim = await cluster.masterForKey(eventsStreamKey(t.channelPrefix, killed));
    await cluster.killMaster(victim.port);
    expect(await load.more(80)).toBe(true);
    await load.stop();

    const rows = await t.sql<{ id: string }[]>`select id from events where aggregate_type = any(${[failedOver, killed]})`;
    const handled = () => new Set(c.recorder.handled.map((e) => e.id));
    expect(await waitUntil(() => rows.every((r) => handled().has(r.id)), 20_000)).toBe(true);
    expect(load.acked.every((e) => handled().has(e.id))).toBe(true);
    expect(handled().size).toBe(rows.length);
    expect(firstSeenOutOfOrder(c.recorder)).toEqual([]);
    await c.stop();
  });
});
