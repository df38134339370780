import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsChannel, publishedMarkKey } from '../../src/events/channels.ts';
import { parseRedisNode } from '../../src/events/redis-nodes.ts';
import { recordingSubscriber, startAppends, storedPositions } from '../support/cluster-load.ts';
import { startRedisCluster, type PrivateRedisCluster } from '../support/private-redis-cluster.ts';
import { hasRedisServer } from '../support/private-redis.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { waitUntil } from '../support/wait.ts';

const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});

// Every subscriber must end with exactly the stored events of its types, in position order:
// nothing lost across the failover, nothing twice.
async function expectEverything(t: TestService, sub: Awaited<ReturnType<typeof recordingSubscriber>>, types?: string[]) {
  const expected = await storedPositions(t, types);
  expect(await waitUntil(() => sub.position === expected.at(-1), 20_000)).toBe(true);
  expect(sub.seen.map((e) => e.position)).toEqual(expected);
}

describe.skipIf(!hasRedisServer)('the service and subscribe() while the Redis Cluster fails over', () => {
  let cluster: PrivateRedisCluster;
  let client: Cluster;

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
    cleanup.push(() => cluster.stop());
    client = new Cluster(cluster.addresses.map(parseRedisNode));
    cleanup.push(() => client.disconnect());
  });

  const replicaOf = async (masterId: string) => (await cluster.topology()).find((n) => n.masterId === masterId && !n.failed)!;

  /** The relay published each type's newest stored event (on the type's master as it is now). */
  async function expectRelayCaughtUp(t: TestService, types: string[]) {
    for (const type of types) {
      const [newest] = (await storedPositions(t, [type])).slice(-1);
      const published = async () => Number(await client.get(publishedMarkKey(t.channelPrefix, type)).catch(() => 0)) === newest;
      expect(await waitUntil(published, 20_000)).toBe(true);
    }
  }

  it('sharded: under continuous appends, a CLUSTER FAILOVER and a SIGKILL of a master lose and repeat nothing', async () => {
    const t = await startTestService({ REDIS_CLUSTER_NODES: cluster.addresses.join(','), REDIS_PUBSUB: 'sharded' });
    cleanup.push(() => t.close());
    const failedOver = 'task';
    const killed = 'plan';
    // A subscriber of one type has nothing but its own shard's messages: one that stopped
    // hearing its shard would stall, not be rescued by another type's gap.
    const one = await recordingSubscriber(t, { redisClusterNodes: cluster.addresses, redisPubsub: 'sharded', aggregateTypes: [failedOver] });
    const two = await recordingSubscriber(t, { redisClusterNodes: cluster.addresses, redisPubsub: 'sharded', aggregateTypes: [killed, 'agent'] });
    cleanup.push(() => one.close(), () => two.close());
    const load = startAppends(t.app);
    cleanup.push(() => load.stop());
    expect(await load.more(60)).toBe(true);

    const master = await cluster.masterForKey(eventsChannel(t.channelPrefix, failedOver));
    await cluster.failover((await replicaOf(master.id)).port);
    expect(await load.more(60)).toBe(true);
    const acknowledged = load.acked.at(-1)!.position;
    expect(await waitUntil(() => one.position >= acknowledged - 6 && two.position >= acknowledged - 6, 20_000)).toBe(true);

    const victim = await cluster.masterForKey(eventsChannel(t.channelPrefix, killed));
    await cluster.killMaster(victim.port);
    expect(await load.more(60)).toBe(true);
    await load.stop();

    await expectEverything(t, one, [failedOver]);
    await expectEverything(t, two, [killed, 'agent']);
    await expectRelayCaughtUp(t, [failedOver, killed, 'agent']);
    await cluster.restartNode(victim.port);
  });

  it('broadcast: under continuous appends, a SIGKILL of the node the subscriber listens on and a CLUSTER FAILOVER lose and repeat nothing', async () => {
    const t = await startTestService({ REDIS_CLUSTER_NODES: cluster.addresses.join(',') });
    cleanup.push(() => t.close());
    const masters = (await cluster.topology()).filter((n) => n.role === 'master');
    const [listenedOn, other] = masters as [typeof masters[0], typeof masters[0]];
    // subscribe() listens on the first node given, then moves on to the next when it is gone.
    const nodes = [listenedOn.address, ...cluster.addresses.filter((a) => a !== listenedOn.address)];
    const sub = await recordingSubscriber(t, { redisClusterNodes: nodes });
    cleanup.push(() => sub.close());
    const load = startAppends(t.app);
    cleanup.push(() => load.stop());
    expect(await load.more(60)).toBe(true);

    await cluster.killMaster(listenedOn.port);
    expect(await load.more(60)).toBe(true);
    await cluster.failover((await replicaOf(other.id)).port);
    expect(await load.more(60)).toBe(true);
    await load.stop();

    await expectEverything(t, sub);
    expect(new Set(sub.seen.map((e) => e.id)).size).toBe(sub.seen.length);
    await expectRelayCaughtUp(t, ['task', 'plan', 'agent', 'order', 'invoice', 'shipment']);
    await cluster.restartNode(listenedOn.port);
  });
});
