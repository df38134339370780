import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.ts';
import { parseRedisNode, parseRedisNodes } from '../../src/events/redis-nodes.ts';

describe('Redis Cluster settings', () => {
  it('reads REDIS_CLUSTER_NODES as a list of host:port and REDIS_PUBSUB as broadcast or sharded', () => {
    const c = parseConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000, redis-2:7001,[::1]:7002', REDIS_PUBSUB: 'sharded' });
    expect(c.redis.clusterNodes).toEqual(['127.0.0.1:7000', 'redis-2:7001', '[::1]:7002']);
    expect(c.redis.pubsub).toBe('sharded');
    expect(parseConfig({}).redis).toMatchObject({ clusterNodes: null, pubsub: 'broadcast' });
  });

  it('refuses a node without a port, and an unknown pub/sub mode, naming the setting', () => {
    expect(() => parseConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000,redis-2' })).toThrow(/REDIS_CLUSTER_NODES/);
    expect(() => parseConfig({ REDIS_PUBSUB: 'both' })).toThrow(/REDIS_PUBSUB/);
  });

  it('splits host:port the way ioredis takes it, IPv6 in brackets included', () => {
    expect(parseRedisNode('10.0.0.5:6380')).toEqual({ host: '10.0.0.5', port: 6380 });
    expect(parseRedisNode('[::1]:7000')).toEqual({ host: '::1', port: 7000 });
    expect(() => parseRedisNode('redis')).toThrow(/host:port/);
    expect(() => parseRedisNode('redis:0')).toThrow(/host:port/);
  });

  it('takes a node list as REDIS_CLUSTER_NODES writes it or as an array, the same way', () => {
    const nodes = [{ host: '127.0.0.1', port: 7000 }, { host: '::1', port: 7001 }];
    expect(parseRedisNodes('127.0.0.1:7000, [::1]:7001')).toEqual(nodes);
    expect(parseRedisNodes(['127.0.0.1:7000', '[::1]:7001'])).toEqual(nodes);
    expect(() => parseRedisNodes(' , ')).toThrow(/at least one/);
    expect(() => parseRedisNodes(['127.0.0.1:7000', 'redis'])).toThrow(/host:port, got "redis"/);
  });
});
