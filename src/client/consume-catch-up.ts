import { randomUUID } from 'node:crypto';
import { positionOfEntryId } from '../events/stream-keys.ts';
import type { ResolvedConsumeOptions } from './consume-options.ts';
import type { ConsumerRedis } from './consume-redis.ts';
import type { Scheduler } from './consume-scheduler.ts';
import { type ConsumerStats, type EventJob, resumedJob, type StreamState } from './consume-jobs.ts';

const PAGE = 500;

// The group's `last` delivered id is before the stream's `first` entry (trimmed, or lost and refilled): one consumer,
// under an expiring lock, handles the events between from the store, then moves the group (stopping first moves nothing).
// A consumer dying here leaves the starts of its running handlers counted (GroupKeys.tries): the next catch-up runs
// those events alone and parks one that has used up its tries, as for entries (ADR 35).
export function createCatchUp(o: ResolvedConsumeOptions, redis: ConsumerRedis, scheduler: Scheduler<EventJob>, stats: ConsumerStats, isRunning: () => boolean, pauseMs: number, signal: AbortSignal) {
  return async function catchUp(s: StreamState, last: string, first: string): Promise<void> {
    const holder = `${o.consumer}:${randomUUID()}`;
    const renewal = setInterval(() => void redis.renewLock(s.keys.lock, holder, o.claimIdleMs).catch(() => {}), Math.max(50, o.claimIdleMs / 3));
    const until = positionOfEntryId(first);
    let held = false;
    s.catchUpFrom = positionOfEntryId(last);
    try {
      held = (await redis.set(s.keys.lock, holder, 'PX', o.claimIdleMs, 'NX')) === 'OK';
      if (!held) return;
      // Handlers started on these events before, by consumers that died in them (see createAcks).
      const tries = await redis.hgetall(s.keys.tries);
      const done: Promise<void>[] = [];
      for (let cursor = s.catchUpFrom; isRunning(); ) {
        await scheduler.whenRoom();
        const page = await o.reader(cursor, PAGE, s.keys.aggregateType, signal);
        for (const e of page.events) {
          if (e.position >= until) break;
          if (e.aggregate_type !== s.keys.aggregateType || e.position <= cursor) continue;
          const added = scheduler.add(resumedJob(o, s, 'store', e, undefined, Number(tries[e.position] ?? 0)));
          if (added) {
            stats.fromStore++;
            done.push(added);
          }
        }
        const read = page.events.at(-1)?.position ?? cursor;
        if (page.nextAfter === null || page.events.length === 0 || read >= until - 1) break;
        cursor = read;
      }
      await Promise.all(done);
      if (isRunning()) {
        await redis.setIdIf(s.keys.stream, o.group, last, `${until - 1}-0`);
        await redis.del(s.keys.tries);
      }
    } catch (error) {
      if (isRunning()) o.onError(error);
    } finally {
      clearInterval(renewal);
      if (held) await redis.renewLock(s.keys.lock, holder, 0).catch(() => {});
      else s.pausedUntil = Date.now() + pauseMs;
      s.catchUpFrom = undefined;
    }
  };
}
