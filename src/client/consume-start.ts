import type { ResolvedConsumeOptions } from './consume-options.ts';
import type { ConsumerRedis } from './consume-redis.ts';
import type { StreamState } from './consume-jobs.ts';

// 'end' = max(relay's mark, stream top); with neither, 0 if the store has no such event, else undefined (await the mirror).
export function createStartPosition(o: ResolvedConsumeOptions, redis: ConsumerRedis) {
  const warned = new Set<string>();
  return async function startPosition(s: StreamState): Promise<number | undefined> {
    if (o.start === 'beginning') return 0;
    if (typeof o.start === 'number') return o.start;
    const [top, published] = await Promise.all([redis.xrevrange(s.keys.stream, '+', '-', 'COUNT', 1), redis.get(s.keys.published)]);
    const end = Math.max(top[0] ? Number(top[0][0].split('-')[0]) : 0, Number(published ?? 0));
    if (end > 0) return end;
    const page = await o.reader(0, 1, s.keys.aggregateType);
    const first = page.events[0];
    if (!first) return 0;
    if (!warned.has(s.keys.stream)) {
      warned.add(s.keys.stream);
      o.onError(new Error(`consume(): ${s.keys.stream} is empty and Redis has no record of ${s.keys.aggregateType} events published, while the store has some; waiting for the service to mirror them (is REDIS_STREAMS=on?)`));
    }
    return undefined;
  };
}
