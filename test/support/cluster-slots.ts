import { Redis } from 'ioredis';
import type { ClusterNode, PrivateRedisCluster } from './private-redis-cluster.ts';
import { waitUntil } from './wait.ts';

/**
 * Moves the slot of `key` to another master the way `redis-cli --cluster reshard` does
 * (IMPORTING / MIGRATING, MIGRATE of every key, SETSLOT NODE), while clients keep using it:
 * they meet ASK during the move and MOVED after it. Resolves with the new owner once every
 * master agrees.
 */
export async function moveSlotOf(cluster: PrivateRedisCluster, key: string): Promise<ClusterNode> {
  const masters = (await cluster.topology()).filter((n) => n.role === 'master' && !n.failed);
  const from = await cluster.masterForKey(key);
  const to = masters.find((n) => n.id !== from.id)!;
  const nodes = new Map(masters.map((n) => [n.id, new Redis(n.port, '127.0.0.1')]));
  const on = (n: ClusterNode, ...args: (string | number)[]) => nodes.get(n.id)!.call('CLUSTER', ...args);
  try {
    const slot = Number(await on(from, 'KEYSLOT', key));
    await on(to, 'SETSLOT', slot, 'IMPORTING', from.id);
    await on(from, 'SETSLOT', slot, 'MIGRATING', to.id);
    for (;;) {
      const keys = (await on(from, 'GETKEYSINSLOT', slot, 100)) as string[];
      if (keys.length === 0) break;
      await nodes.get(from.id)!.call('MIGRATE', '127.0.0.1', to.port, '', 0, 5000, 'KEYS', ...keys);
    }
    for (const n of [to, from, ...masters.filter((m) => m.id !== to.id && m.id !== from.id)]) await on(n, 'SETSLOT', slot, 'NODE', to.id);
    const agreed = async () => {
      for (const n of masters) {
        const view = ((await on(n, 'SLOTS')) as [number, number, [string, number]][]).find(([a, b]) => slot >= a && slot <= b);
        if (view?.[2][1] !== to.port) return false;
      }
      return true;
    };
    if (!(await waitUntil(agreed, 10_000))) throw new Error(`slot ${slot} did not settle on ${to.address}`);
    return to;
  } finally {
    for (const r of nodes.values()) r.disconnect();
  }
}
