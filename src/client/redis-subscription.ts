import { Redis } from 'ioredis';
import { parseRedisNode, type RedisNode } from '../events/redis-nodes.ts';

export interface RedisSubscriptionOptions {
  redisUrl?: string;
  clusterNodes?: RedisNode[] | null;
  /** broadcast: PSUBSCRIBE `pattern` on one node; sharded: SSUBSCRIBE each of `channels` on its shard's master. */
  mode: { pubsub: 'broadcast'; pattern: string } | { pubsub: 'sharded'; channels: string[] };
  onMessage(channel: string, body: string): void;
  /** Every subscription is acknowledged (first time or again): anything before may have been lost. */
  onSubscribed(): void;
  onError?(error: unknown): void;
}

export interface RedisSubscription {
  /** Settles with the first attempt: resolves once subscribed, rejects if that failed. */
  ready: Promise<void>;
  close(): void;
}

// Reconnecting is this module's job, not ioredis's: after any disruption the subscription is rebuilt whole.
const CONNECTION = { lazyConnect: true, autoResubscribe: false, retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: 5_000, commandTimeout: 5_000 } as const;

// A session ends when a connection may have missed a message: one closed, or an unsolicited SUNSUBSCRIBE (ioredis:
// `moved`). The next starts after a backoff on the next node, with each channel's master as CLUSTER SLOTS tells now.
export function followRedis(options: RedisSubscriptionOptions): RedisSubscription {
  let closed = false;
  let current: Redis[] = [];
  let wake: (() => void) | null = null;
  let settleReady: { resolve(): void; reject(error: unknown): void } | null = null;
  const ready = new Promise<void>((resolve, reject) => (settleReady = { resolve, reject }));
  const nodes = options.clusterNodes && options.clusterNodes.length > 0 ? options.clusterNodes : null;
  let nodeIndex = 0;
  let lastError: Error | undefined; // what the connection met, which ioredis's "Connection is closed." hides

  const connect = (target: string | RedisNode) => {
    const redis = typeof target === 'string' ? new Redis(target, CONNECTION) : new Redis({ ...target, ...CONNECTION });
    redis.on('error', (error: Error) => (lastError = error)); // a 'close' follows
    current.push(redis);
    return redis;
  };

  async function open(): Promise<{ ended: Promise<void> }> {
    let broken!: () => void;
    const ended = new Promise<void>((resolve) => (broken = resolve));
    const watch = (redis: Redis) => {
      redis.once('close', broken);
      redis.once('moved', broken);
    };
    const seed = nodes ? nodes[nodeIndex++ % nodes.length]! : options.redisUrl!;
    const { mode } = options;
    if (mode.pubsub === 'broadcast') {
      const redis = connect(seed);
      redis.on('pmessage', (_pattern: string, channel: string, body: string) => options.onMessage(channel, body));
      await redis.connect();
      watch(redis);
      await redis.psubscribe(mode.pattern);
      return { ended };
    }
    const byNode = new Map<string, string[]>();
    if (nodes) {
      const probe = connect(seed);
      await probe.connect();
      const slots = (await probe.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, ...unknown[]], ...unknown[]][];
      for (const channel of mode.channels) {
        const slot = Number(await probe.call('CLUSTER', 'KEYSLOT', channel));
        const range = slots.find(([from, to]) => slot >= from && slot <= to);
        if (!range) throw new Error(`no master serves slot ${slot} of ${channel}`);
        const address = `${range[2][0]}:${range[2][1]}`;
        byNode.set(address, [...(byNode.get(address) ?? []), channel]);
      }
      probe.disconnect();
    } else byNode.set('', mode.channels);
    await Promise.all(
      [...byNode].map(async ([address, channels]) => {
        const redis = connect(address === '' ? seed : parseRedisNode(address));
        redis.on('smessage', (channel: string, body: string) => options.onMessage(channel, body));
        await redis.connect();
        watch(redis);
        // One SSUBSCRIBE per channel: several in one command must share a slot.
        for (const channel of channels) await redis.ssubscribe(channel);
      }),
    );
    return { ended };
  }

  function drop() {
    for (const redis of current) {
      redis.removeAllListeners();
      redis.on('error', () => {});
      redis.disconnect();
    }
    current = [];
  }

  async function run() {
    let backoff = 100;
    while (!closed) {
      try {
        const { ended } = await open();
        if (closed) break;
        backoff = 100;
        settleReady?.resolve();
        settleReady = null;
        options.onSubscribed();
        await Promise.race([ended, new Promise<void>((resolve) => (wake = resolve))]);
      } catch (error) {
        if (settleReady) {
          settleReady.reject(lastError ?? error);
          settleReady = null;
          closed = true;
        } else if (!closed) options.onError?.(error);
      }
      drop();
      if (closed) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, backoff);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      backoff = Math.min(backoff * 2, 2_000);
    }
    drop();
  }

  void run();
  return {
    ready,
    close() {
      closed = true;
      wake?.();
      drop();
    },
  };
}
