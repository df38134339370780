import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { freePort } from '../../src/postgres/free-port.ts';
import { startRedisCluster } from '../../test/support/private-redis-cluster.ts';
import { privateRedis } from '../../test/support/private-redis.ts';
import { createDatabase, median, REPEAT, startService, waitForRelay } from '../lib.ts';
import { seedEvents } from '../seed.ts';
import type { Suite } from './index.ts';

const BACKLOG = Number(process.env.BENCH_CLUSTER_EVENTS ?? 50_000);

/**
 * The relay's publish rate on one Redis against a Redis Cluster of 3 masters and 3 replicas,
 * broadcast (PUBLISH) and sharded (SPUBLISH): a fresh service publishes a stored backlog from
 * checkpoint 0, under a new channel prefix each time (so no mark fences it). Every server is a
 * private redis-server on this machine, without persistence; contenders alternate round by
 * round. On one host the cluster's masters share the same cores: the ratio shows what the
 * per-type script calls and the cluster client cost, not what more hosts would add.
 */
const suite: Suite = {
  name: 'redis-cluster',
  description: `relay publish rate of a ${BACKLOG.toLocaleString()}-event backlog: one Redis vs a 3-master Redis Cluster`,
  async run(record) {
    const single = privateRedis(await freePort());
    await single.start();
    const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
    try {
      const url = await createDatabase();
      await seedEvents(url, BACKLOG);
      const sql = postgres(url, { max: 1, onnotice: () => {} });
      const contenders: [string, Record<string, string>][] = [
        ['one Redis', { REDIS_URL: single.url }],
        ['cluster, broadcast', { REDIS_CLUSTER_NODES: cluster.addresses.join(',') }],
        ['cluster, sharded', { REDIS_CLUSTER_NODES: cluster.addresses.join(','), REDIS_PUBSUB: 'sharded' }],
      ];
      const rates = new Map<string, number[]>(contenders.map(([name]) => [name, []]));
      for (let round = 0; round < Math.max(REPEAT, 2); round++) {
        for (const [name, env] of round % 2 === 0 ? contenders : [...contenders].reverse()) {
          await sql`update relay_checkpoints set position = 0`;
          const service = await startService({ DATABASE_URL: url, REDIS_CHANNEL_PREFIX: `bench-${randomUUID().slice(0, 8)}:`, RELAY_BATCH_SIZE: '1000', ...env });
          // Measured from the moment the service answers; what it published before counts out.
          const started = performance.now();
          const before = ((await (await fetch(`${service.url}/health`)).json()) as { published_position: number }).published_position;
          await waitForRelay(service.url, 300_000);
          rates.get(name)!.push((BACKLOG - before) / ((performance.now() - started) / 1000));
          await service.stop();
        }
      }
      await sql.end();
      const base = median(rates.get('one Redis')!);
      for (const [name] of contenders) {
        const rate = median(rates.get(name)!);
        const ratios = rates.get(name)!.map((r, i) => r / rates.get('one Redis')![i]!);
        record({
          suite: 'redis-cluster', name: `relay publish rate, ${name}`, value: rate, unit: 'events/s',
          ...(name === 'one Redis' ? {} : { baseline: 'one Redis', ratio: rate / base, note: `per-round ratios ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}, ${ratios.length} rounds` }),
        });
      }
    } finally {
      await cluster.stop();
      await single.stop();
    }
  },
};
export default suite;
