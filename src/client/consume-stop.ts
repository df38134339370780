import type { ResolvedConsumeOptions } from './consume-options.ts';
import { groupBy } from '../events/group-by.ts';
import { claimKept, type ConsumerRedis, pipelinePerSlot } from './consume-redis.ts';
import { entriesByStream, type EventJob, type StreamState } from './consume-jobs.ts';

// Unfinished entries are marked idle, so others reclaim them at once; DELCONSUMER only without pending entries (it drops them).
export async function handOver(o: ResolvedConsumeOptions, redis: ConsumerRedis, streams: StreamState[], unfinished: EventJob[]): Promise<void> {
  const replies = await pipelinePerSlot(redis, entriesByStream(unfinished), (p, key, ids) => claimKept(p, key, o.group, o.consumer, ids, { idleMs: o.claimIdleMs }));
  // Entries the window trimmed cannot be claimed (a claim would drop them): their events go back through the group's
  // replay stream, which its consumers read like any other (HAND_BACK leaves alone an entry the stream still holds).
  const claimed = new Set(replies.flatMap(([error, ids]) => (error ? [] : (ids as string[]))));
  const trimmed = unfinished.filter((job) => job.source === 'stream' && !claimed.has(job.id!));
  for (const [s, jobs] of groupBy(trimmed, (job) => job.stream)) {
    await redis.handBack(s.keys.replay, s.keys.stream, o.group, ...jobs.flatMap((job) => [job.id!, JSON.stringify(job.event)]));
  }
  for (const s of streams) {
    if (!s.ready) continue;
    for (const key of [s.keys.stream, s.keys.replay]) {
      const mine = (await redis.xpending(key, o.group, '-', '+', 1, o.consumer)) as unknown[];
      if (mine.length === 0) await redis.xgroup('DELCONSUMER', key, o.group, o.consumer);
    }
  }
}
