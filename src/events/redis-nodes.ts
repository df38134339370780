// Free of ioredis's types: the client's public options use these.
export type RedisNode = { host: string; port: number };
/** One server by URL, or a Redis Cluster through some of its nodes. */
export type RedisTarget = { url: string } | { clusterNodes: RedisNode[] };

/** `host:port` (REDIS_CLUSTER_NODES, the client's redisClusterNodes) as ioredis takes it; `[::1]:7000` for IPv6. */
export function parseRedisNode(address: string): RedisNode {
  const at = address.lastIndexOf(':');
  const port = Number(address.slice(at + 1));
  const host = address.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  if (at <= 0 || !Number.isInteger(port) || port < 1 || port > 65535 || host === '') throw new Error(`expected host:port, got "${address}"`);
  return { host, port };
}

/** Cluster nodes as REDIS_CLUSTER_NODES gives them (`host:port,host:port`) or as a list; each checked. */
export function parseRedisNodes(nodes: string | string[]): RedisNode[] {
  const list = (typeof nodes === 'string' ? nodes.split(',') : nodes).map((a) => a.trim()).filter((a) => a !== '');
  if (list.length === 0) throw new Error('expected at least one host:port');
  return list.map(parseRedisNode);
}

/** Where a target is, for messages: its URL without the password, or the cluster's nodes. */
export function describeRedisTarget(target: RedisTarget): string {
  if ('clusterNodes' in target) return `the cluster at ${target.clusterNodes.map((n) => `${n.host.includes(':') ? `[${n.host}]` : n.host}:${n.port}`).join(',')}`;
  try {
    const url = new URL(target.url);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return 'the redisUrl given';
  }
}
