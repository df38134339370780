import type { ResolvedConsumeOptions } from './consume-options.ts';
import { claimKept, type ConsumerRedis, pipelinePerSlot } from './consume-redis.ts';
import { entriesByStream, type EventJob, type StreamState } from './consume-jobs.ts';

// Unfinished entries are marked idle, so others reclaim them at once; DELCONSUMER only without pending entries (it drops them).
export async function handOver(o: ResolvedConsumeOptions, redis: ConsumerRedis, streams: StreamState[], unfinished: EventJob[]): Promise<void> {
  await pipelinePerSlot(redis, entriesByStream(unfinished), (p, key, ids) => claimKept(p, key, o.group, o.consumer, ids, { idleMs: o.claimIdleMs }));
  // Events no pending entry stands for (their entries left the stream) go to the group's replay stream, which its
  // consumers read like any other: otherwise nobody would deliver them again.
  for (const job of unfinished) if (job.unanchored) await redis.xadd(job.stream.keys.replay, '*', 'event', JSON.stringify(job.event));
  for (const s of streams) {
    if (!s.ready) continue;
    for (const key of [s.keys.stream, s.keys.replay]) {
      const mine = (await redis.xpending(key, o.group, '-', '+', 1, o.consumer)) as unknown[];
      if (mine.length === 0) await redis.xgroup('DELCONSUMER', key, o.group, o.consumer);
    }
  }
}
