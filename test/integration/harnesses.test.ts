import { Cluster, Redis } from 'ioredis';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres.ts';
import { startRedisCluster, type ClusterNode, type PrivateRedisCluster } from '../support/private-redis-cluster.ts';
import { hasRedisServer } from '../support/private-redis.ts';
import { waitUntil } from '../support/wait.ts';

const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});

describe.skipIf(!hasRedisServer)('a private Redis Cluster', () => {
  let cluster: PrivateRedisCluster;
  let client: Cluster;
  const startupNodes = () => cluster.addresses.map((a) => ({ host: '127.0.0.1', port: Number(a.split(':')[1]) }));

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
    cleanup.push(() => cluster.stop());
    client = new Cluster(startupNodes());
    cleanup.push(() => client.disconnect());
  });

  /** One key per master, so that a round trip over them touches every shard. */
  async function keyOnEveryMaster(): Promise<Map<string, string>> {
    const byMaster = new Map<string, string>();
    for (let i = 0; byMaster.size < 3 && i < 1000; i++) {
      const owner = await cluster.masterForKey(`key-${i}`);
      if (!byMaster.has(owner.id)) byMaster.set(owner.id, `key-${i}`);
    }
    return byMaster;
  }

  async function writesAndReadsOnEveryMaster(tag: string) {
    const keys = [...(await keyOnEveryMaster()).values()];
    expect(keys).toHaveLength(3);
    for (const key of keys) await client.set(key, `${tag}:${key}`);
    for (const key of keys) expect(await client.get(key)).toBe(`${tag}:${key}`);
  }

  const masters = (nodes: ClusterNode[]) => nodes.filter((n) => n.role === 'master' && !n.failed);

  it('forms three masters covering every slot, each with one replica', () => {
    expect(masters(cluster.nodes)).toHaveLength(3);
    const slots = masters(cluster.nodes).flatMap((n) => n.slots).reduce((sum, [from, to]) => sum + to - from + 1, 0);
    expect(slots).toBe(16384);
    for (const master of masters(cluster.nodes)) expect(cluster.nodes.filter((n) => n.masterId === master.id)).toHaveLength(1);
  });

  it('stores and reads keys of different slots on different masters through an ioredis Cluster', async () => {
    await writesAndReadsOnEveryMaster('first');
  });

  it('delivers a PUBLISH on one master to a PSUBSCRIBE on another node', async () => {
    const [publishTo, subscribeTo] = masters(await cluster.topology());
    const subscriber = new Redis(subscribeTo!.port, '127.0.0.1');
    const publisher = new Redis(publishTo!.port, '127.0.0.1');
    try {
      const received: string[] = [];
      subscriber.on('pmessage', (_pattern, channel, message) => received.push(`${channel} ${message}`));
      await subscriber.psubscribe('events:*');
      await publisher.publish('events:order', 'placed');
      expect(await waitUntil(() => received.length > 0)).toBe(true);
      expect(received).toEqual(['events:order placed']);
    } finally {
      subscriber.disconnect();
      publisher.disconnect();
    }
  });

  it('delivers an SPUBLISH to an SSUBSCRIBE through ioredis Cluster with sharded subscribers', async () => {
    const subscriber = new Cluster(startupNodes(), { shardedSubscribers: true });
    try {
      const received: string[] = [];
      subscriber.on('smessage', (channel: string, message: string) => received.push(`${channel} ${message}`));
      await subscriber.ssubscribe('events:{order}');
      await client.spublish('events:{order}', 'shipped');
      expect(await waitUntil(() => received.length > 0)).toBe(true);
      expect(received).toEqual(['events:{order} shipped']);
    } finally {
      subscriber.disconnect();
    }
  });

  it('after a manual failover the replica is master and every slot still takes writes', async () => {
    const before = await cluster.topology();
    const replica = before.find((n) => n.role === 'replica')!;
    const promoted = await cluster.failover(replica.port);
    expect(promoted.role).toBe('master');
    expect(promoted.slots.length).toBeGreaterThan(0);
    await writesAndReadsOnEveryMaster('after-failover');
  });

  it('after a master is killed its replica takes over, and the restarted master rejoins as a replica', async () => {
    const victim = masters(await cluster.topology())[0]!;
    const promoted = await cluster.killMaster(victim.port);
    expect(promoted.role).toBe('master');
    expect(promoted.slots).toEqual(victim.slots);
    await writesAndReadsOnEveryMaster('after-kill');
    const rejoined = await cluster.restartNode(victim.port);
    expect(rejoined).toMatchObject({ role: 'replica', masterId: promoted.id, failed: false });
  });
});

describe('a private PostgreSQL primary with a streaming replica', () => {
  let pg: PrivatePostgres;
  let primary: postgres.Sql;
  let replica: postgres.Sql;

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    cleanup.push(() => pg.stop());
    await pg.addReplica();
    primary = postgres(pg.url, { max: 1, onnotice: () => {} });
    replica = postgres(pg.replicaUrl, { max: 1, onnotice: () => {} });
    cleanup.push(() => primary.end(), () => replica.end());
    await primary`create table note (id int primary key)`;
  });

  const onReplica = async (id: number) => (await replica`select 1 from note where id = ${id}`).length === 1;

  it('shows a row committed on the primary on the replica', async () => {
    await primary`insert into note values (1)`;
    expect(await waitUntil(() => onReplica(1).catch(() => false))).toBe(true);
  });

  it('hides new rows while replay is paused, though their WAL has arrived, and shows them after resume', async () => {
    await pg.pauseReplay();
    await primary`insert into note values (2)`;
    const lsn = await pg.primaryLsn();
    const received = async () => (await replica`select pg_last_wal_receive_lsn() >= ${lsn}::pg_lsn as ok`)[0]!.ok === true;
    expect(await waitUntil(received)).toBe(true);
    expect(await onReplica(2)).toBe(false);
    expect((await replica`select ${await pg.replayLsn()}::pg_lsn < ${lsn}::pg_lsn as behind`)[0]!.behind).toBe(true);
    await pg.resumeReplay();
    await pg.waitForReplay(lsn);
    expect(await onReplica(2)).toBe(true);
  });

  it('refuses connections to a stopped replica at once, and streams again once it is started', async () => {
    await pg.stopReplica();
    const probe = postgres(pg.replicaUrl, { max: 1, connect_timeout: 30, onnotice: () => {} });
    await expect(probe`select 1`).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await probe.end();
    await pg.startReplica();
    await primary`insert into note values (3)`;
    expect(await waitUntil(() => onReplica(3).catch(() => false))).toBe(true);
  });

  it('refuses connections while the primary is stopped immediately; once started, the replica follows it again', async () => {
    await pg.stopPrimary({ mode: 'immediate' });
    const probe = postgres(pg.url, { max: 1, connect_timeout: 30, onnotice: () => {} });
    await expect(probe`select 1`).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await probe.end();
    await pg.startPrimary();
    await primary`insert into note values (4)`;
    expect(await waitUntil(() => onReplica(4).catch(() => false))).toBe(true);
  });
});
