import { describe, expect, it } from 'vitest';
import { subscribe } from '../../src/client/subscribe.ts';
import { describeRedisTarget } from '../../src/events/redis-nodes.ts';
import { freePort } from '../../src/postgres/free-port.ts';

const reader = async () => ({ events: [], nextAfter: null });

describe('a client that cannot reach Redis at its start', () => {
  it('subscribe() rejects saying where it tried and why, without the password', async () => {
    const port = await freePort(); // nothing listens there
    const failure = subscribe({ redisUrl: `redis://app:s3cret@127.0.0.1:${port}/2`, reader, onEvent: () => {} });
    await expect(failure).rejects.toThrow(`subscribe(): cannot reach Redis at redis://app:***@127.0.0.1:${port}/2: connect ECONNREFUSED 127.0.0.1:${port}`);
    await expect(failure.catch((e: Error) => e.message)).resolves.not.toContain('s3cret');
  });

  it('names a cluster by its nodes', () => {
    expect(describeRedisTarget({ clusterNodes: [{ host: '10.0.0.1', port: 7000 }, { host: '::1', port: 7001 }] })).toBe('the cluster at 10.0.0.1:7000,[::1]:7001');
    expect(describeRedisTarget({ url: 'redis://127.0.0.1:6379' })).toBe('redis://127.0.0.1:6379');
  });
});
