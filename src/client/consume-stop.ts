import type { ResolvedConsumeOptions } from './consume-options.ts';
import { claimKept, type ConsumerRedis, pipelinePerSlot } from './consume-redis.ts';
import { entriesByStream, type EventJob, type StreamState } from './consume-jobs.ts';

// Unfinished entries are marked idle, so others reclaim them at once; DELCONSUMER only without pending entries (it drops them).
export async function handOver(o: ResolvedConsumeOptions, redis: ConsumerRedis, streams: StreamState[], unfinished: EventJob[]): Promise<void> {
  await pipelinePerSlot(redis, entriesByStream(unfinished), (p, key, ids) => claimKept(p, key, o.group, o.consumer, ids, { idleMs: o.claimIdleMs }));
  for (const s of streams) {
    if (!s.ready) continue;
    for (const key of [s.keys.stream, s.keys.replay]) {
      const mine = (await redis.xpending(key, o.group, '-', '+', 1, o.consumer)) as unknown[];
      if (mine.length === 0) await redis.xgroup('DELCONSUMER', key, o.group, o.consumer);
    }
  }
}
