import type { ResolvedConsumeOptions } from './consume-options.ts';
import type { ConsumerRedis } from './consume-redis.ts';
import type { EventJob, StreamState } from './consume-jobs.ts';

// Unfinished entries are marked idle, so others reclaim them at once; DELCONSUMER only without pending entries (it drops them).
export async function handOver(o: ResolvedConsumeOptions, redis: ConsumerRedis, streams: StreamState[], unfinished: EventJob[]): Promise<void> {
  const byKey = new Map<string, string[]>();
  for (const job of unfinished) {
    if (!job.id) continue;
    const key = job.source === 'replay' ? job.stream.keys.replay : job.stream.keys.stream;
    byKey.set(key, [...(byKey.get(key) ?? []), job.id]);
  }
  if (byKey.size > 0) {
    const pipeline = redis.pipeline();
    for (const [key, ids] of byKey) pipeline.xclaim(key, o.group, o.consumer, 0, ...ids, 'IDLE', o.claimIdleMs, 'JUSTID');
    await pipeline.exec();
  }
  for (const s of streams) {
    if (!s.ready) continue;
    for (const key of [s.keys.stream, s.keys.replay]) {
      const mine = (await redis.xpending(key, o.group, '-', '+', 1, o.consumer)) as unknown[];
      if (mine.length === 0) await redis.xgroup('DELCONSUMER', key, o.group, o.consumer);
    }
  }
}
