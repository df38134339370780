/** One node of a Redis Cluster as `CLUSTER NODES` describes it. */
export interface ClusterNode {
  /** `host:port`, the form REDIS_CLUSTER_NODES and ioredis' Cluster take. */
  address: string;
  port: number;
  id: string;
  role: 'master' | 'replica';
  /** The master's id, for a replica. */
  masterId: string | null;
  /** Inclusive slot ranges this node serves (empty for replicas). */
  slots: [number, number][];
  /** Flagged `fail` or `fail?` by the node that answered. */
  failed: boolean;
}

export const SLOTS = 16384;

/** Parses the reply of `CLUSTER NODES`, leaving out migrating/importing markers (`[...]`). */
export function parseClusterNodes(reply: string): ClusterNode[] {
  return reply
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [id = '', addr = '', flags = '', master = '-', , , , , ...slotFields] = line.trim().split(' ');
      const hostPort = addr.split('@')[0] ?? '';
      const flagSet = new Set(flags.split(','));
      const slots = slotFields
        .filter((s) => !s.startsWith('['))
        .map((s): [number, number] => {
          const [from, to = from] = s.split('-').map(Number) as [number, number?];
          return [from, to];
        });
      return {
        address: hostPort,
        port: Number(hostPort.split(':').pop()),
        id,
        role: flagSet.has('master') ? 'master' : 'replica',
        masterId: master === '-' ? null : master,
        slots,
        failed: flagSet.has('fail') || flagSet.has('fail?'),
      } satisfies ClusterNode;
    });
}

export function coveredSlots(nodes: ClusterNode[]): number {
  return nodes
    .filter((n) => n.role === 'master' && !n.failed)
    .flatMap((n) => n.slots)
    .reduce((sum, [from, to]) => sum + to - from + 1, 0);
}

/** A view's shape, for comparing what different nodes believe; ordered by id. */
export function describeView(nodes: ClusterNode[]): string {
  return [...nodes]
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((n) => `${n.id} ${n.port} ${n.role} ${n.masterId ?? '-'} ${n.failed ? 'failed' : 'up'} ${n.slots.map((r) => r.join('-')).join(',')}`)
    .join('\n');
}
