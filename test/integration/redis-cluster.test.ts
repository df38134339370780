import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscribe } from '../../src/client/subscribe.ts';
import { eventsChannel, publishedMarkKey } from '../../src/events/channels.ts';
import { eventsStreamKey } from '../../src/events/stream-keys.ts';
import { parseRedisNode } from '../../src/events/redis-nodes.ts';
import { storeEventReader } from '../../src/store/store-reader.ts';
import { recordingSubscriber, storedPositions, TYPES } from '../support/cluster-load.ts';
import { newId, postJson } from '../support/http.ts';
import { startRedisCluster, type PrivateRedisCluster } from '../support/private-redis-cluster.ts';
import { hasRedisServer } from '../support/private-redis.ts';
import { newChannelPrefix, startTestService, type TestService } from '../support/service.ts';
import { waitUntil } from '../support/wait.ts';

const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});

async function appendMixed(t: TestService, rounds: number): Promise<number[]> {
  const positions: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const events = TYPES.map((type) => ({ event_type: `${type}.created`, aggregate_id: newId() }));
    const res = await postJson(t.app, '/events/batch', { events });
    expect(res.status).toBe(201);
    positions.push(...(res.body.events as { position: number }[]).map((e) => e.position));
  }
  return positions;
}

describe.skipIf(!hasRedisServer)('the service on a Redis Cluster', () => {
  let cluster: PrivateRedisCluster;
  let client: Cluster;
  const serviceOn = async (env: Record<string, string>) => {
    const t = await startTestService({ REDIS_CLUSTER_NODES: cluster.addresses.join(','), ...env });
    cleanup.push(() => t.close());
    return t;
  };

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
    cleanup.push(() => cluster.stop());
    client = new Cluster(cluster.addresses.map(parseRedisNode));
    cleanup.push(() => client.disconnect());
  });

  it('keeps a type\'s mark key in its channel\'s slot, and spreads the types over several masters', async () => {
    const node = new Redis(cluster.nodes[0]!.port, '127.0.0.1');
    cleanup.push(() => node.disconnect());
    const masters = new Set<string>();
    for (const type of TYPES) {
      const channel = eventsChannel('p:', type);
      expect(await node.cluster('KEYSLOT', publishedMarkKey('p:', type))).toBe(await node.cluster('KEYSLOT', channel));
      masters.add((await cluster.masterForKey(channel)).id);
    }
    expect(masters.size).toBeGreaterThan(1);
  });

  it("finds on whichever master holds them the marks and streams of a later history than the store's, and publishes nothing", async () => {
    const prefix = newChannelPrefix();
    // Left by a history past this fresh store's head: a mark for every type (on several masters) and a mirrored stream.
    for (const type of TYPES) await client.set(publishedMarkKey(prefix, type), '1000');
    await client.xadd(eventsStreamKey(prefix, TYPES[0]!), '1000-0', 'event', '{}');
    const t = await serviceOn({ REDIS_CHANNEL_PREFIX: prefix });
    await appendMixed(t, 1);
    const relay = async () => (await (await t.app.request('/health')).json()) as { relay: string; published_position: number };
    expect(await waitUntil(async () => (await relay()).relay === 'redis_ahead', 20_000)).toBe(true);
    expect((await relay()).published_position).toBe(0);
  });

  it('broadcast: publishes every type with PUBLISH, and subscribe() on the cluster delivers every event once, in position order', async () => {
    const t = await serviceOn({});
    const node = cluster.nodes.find((n) => n.role === 'replica')!;
    const raw = new Redis(node.port, '127.0.0.1');
    cleanup.push(() => raw.disconnect());
    const channels = new Set<string>();
    raw.on('pmessage', (_p: string, channel: string) => channels.add(channel));
    await raw.psubscribe(`${t.channelPrefix}events:*`);
    const before = await appendMixed(t, 5);
    const sub = await recordingSubscriber(t, { redisClusterNodes: cluster.addresses });
    cleanup.push(() => sub.close());
    const after = await appendMixed(t, 20);
    const all = [...before, ...after];
    expect(await waitUntil(() => sub.position === all.at(-1), 15_000)).toBe(true);
    expect(sub.seen.map((e) => e.position)).toEqual(await storedPositions(t));
    expect(sub.seen.map((e) => e.position)).toEqual(all);
    // Any node sees every type's channel, a replica included.
    expect(await waitUntil(() => channels.size === TYPES.length)).toBe(true);
  });

  it('sharded: publishes with SPUBLISH on events:<type>, and subscribe() per type delivers those types once, in position order', async () => {
    const t = await serviceOn({ REDIS_PUBSUB: 'sharded' });
    const wanted = ['task', 'order', 'shipment'];
    const raw = new Cluster(cluster.addresses.map(parseRedisNode), { shardedSubscribers: true });
    cleanup.push(() => raw.disconnect());
    const sharded: string[] = [];
    raw.on('smessage', (channel: string) => sharded.push(channel));
    await raw.ssubscribe(eventsChannel(t.channelPrefix, 'plan'));
    const plain = new Redis(cluster.nodes[0]!.port, '127.0.0.1');
    cleanup.push(() => plain.disconnect());
    let broadcast = 0;
    plain.on('pmessage', () => broadcast++);
    await plain.psubscribe(`${t.channelPrefix}events:*`);

    await appendMixed(t, 5);
    const sub = await recordingSubscriber(t, { redisClusterNodes: cluster.addresses, redisPubsub: 'sharded', aggregateTypes: wanted });
    cleanup.push(() => sub.close());
    const after = await appendMixed(t, 20);
    const expected = await storedPositions(t, wanted);
    expect(await waitUntil(() => sub.position === expected.at(-1), 15_000)).toBe(true);
    expect(sub.seen.map((e) => e.position)).toEqual(expected);
    expect(sub.seen.every((e) => wanted.includes(e.aggregate_type))).toBe(true);
    expect(await waitUntil(() => sharded.length >= 20)).toBe(true);
    expect(new Set(sharded)).toEqual(new Set([eventsChannel(t.channelPrefix, 'plan')]));
    // SPUBLISH reaches no PSUBSCRIBE.
    expect(broadcast).toBe(0);
    expect(after).toHaveLength(20 * TYPES.length);
  });

  it('sharded: a replay republishes with SPUBLISH on each type\'s channel, in position order per channel', async () => {
    const t = await serviceOn({ REDIS_PUBSUB: 'sharded' });
    const positions = await appendMixed(t, 5);
    const raw = new Cluster(cluster.addresses.map(parseRedisNode), { shardedSubscribers: true });
    cleanup.push(() => raw.disconnect());
    const received: { channel: string; position: number; replay: boolean }[] = [];
    raw.on('smessage', (channel: string, body: string) => {
      const e = JSON.parse(body) as { position: number; metadata: { replay?: boolean } };
      received.push({ channel, position: e.position, replay: e.metadata.replay === true });
    });
    const channels = ['task', 'invoice'].map((type) => eventsChannel(t.channelPrefix, type));
    for (const channel of channels) await raw.ssubscribe(channel);
    const res = await postJson(t.app, '/replays', { filter: {} });
    expect(res.status).toBe(202);
    const replayed = () => received.filter((m) => m.replay);
    expect(await waitUntil(() => replayed().length === 10, 15_000)).toBe(true);
    for (const [i, channel] of channels.entries()) {
      const expected = await storedPositions(t, [['task', 'invoice'][i]!]);
      expect(replayed().filter((m) => m.channel === channel).map((m) => m.position)).toEqual(expected);
    }
    expect(positions).toHaveLength(5 * TYPES.length);
  });

  it('sharded: subscribe() without aggregateTypes is refused, saying why', async () => {
    const t = await serviceOn({ REDIS_PUBSUB: 'sharded' });
    const attempt = subscribe({ redisClusterNodes: cluster.addresses, redisPubsub: 'sharded', channelPrefix: t.channelPrefix, reader: storeEventReader(t.sql), onEvent: () => {} });
    await expect(attempt).rejects.toThrow(/sharded.*aggregateTypes/);
  });

  it('the Streams mirror keeps every type\'s stream on the cluster, and refills one the cluster lost', async () => {
    const t = await serviceOn({ REDIS_STREAMS: 'on', REDIS_STREAMS_CHECK_MS: '100', REDIS_PUBSUB: 'sharded' });
    const positions = await appendMixed(t, 10);
    const streamPositions = async (type: string) => (await client.xrange(eventsStreamKey(t.channelPrefix, type), '-', '+')).map(([id]) => Number(id.split('-')[0]));
    const mirrored = async () => {
      for (const type of TYPES) if ((await streamPositions(type)).join() !== (await storedPositions(t, [type])).join()) return false;
      return true;
    };
    expect(await waitUntil(mirrored, 15_000)).toBe(true);
    expect((await Promise.all(TYPES.map(streamPositions))).flat().sort((a, b) => a - b)).toEqual(positions);
    await client.del(eventsStreamKey(t.channelPrefix, 'invoice'));
    expect(await waitUntil(async () => (await streamPositions('invoice')).length === 10, 15_000)).toBe(true);
    expect(await streamPositions('invoice')).toEqual(await storedPositions(t, ['invoice']));
    const health = await (await t.app.request('/health')).json();
    expect(health).toMatchObject({ redis: 'ok', relay: 'running' });
  });
});
