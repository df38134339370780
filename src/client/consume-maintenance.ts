import type { StoredEvent } from '../events/event.ts';
import { positionOfEntryId } from '../events/stream-keys.ts';
import type { ResolvedConsumeOptions } from './consume-options.ts';
import { claimKept, type ConsumerRedis, entryEvent, entryTries, pipelinePerSlot, type RawEntry, touch } from './consume-redis.ts';
import type { Scheduler } from './consume-scheduler.ts';
import { type ConsumerStats, entriesByStream, type EventJob, resumedJob, type StreamState } from './consume-jobs.ts';

export interface Maintenance {
  tick(): Promise<void>;
}

// Each tick re-claims held entries (JUSTID resets idle time: a long handler is not a dead consumer) and tells the group
// this consumer is alive (touch); every claimIdleMs / 2 takes over entries idle past claimIdleMs, parking one whose
// handler started maxAttempts times (a poison event), and hands back through the replay stream the entries the window
// trimmed that dead consumers held (RECLAIM); and samples the mark (every event up to it handled), where a group Redis
// loses is created again instead of at `start`.
export function createMaintenance(o: ResolvedConsumeOptions, redis: ConsumerRedis, streams: StreamState[], scheduler: Scheduler<EventJob>, stats: ConsumerStats): Maintenance {
  let reclaimedAt = 0;

  async function heartbeat() {
    await pipelinePerSlot(redis, entriesByStream(scheduler.held()), (p, key, ids, s) => {
      claimKept(p, key, o.group, o.consumer, ids);
      if (key === s.keys.stream) touch(p, key, o.group, o.consumer);
    });
  }

  async function fromStore(s: StreamState, id: string): Promise<StoredEvent | undefined> {
    const position = positionOfEntryId(id);
    const page = await o.reader(position - 1, 1, s.keys.aggregateType);
    const e = page.events[0];
    return e && e.position === position ? e : undefined;
  }

  async function reclaim(s: StreamState, source: 'stream' | 'replay') {
    const key = source === 'replay' ? s.keys.replay : s.keys.stream;
    const room = scheduler.room();
    if (room <= 0) return;
    // JUSTID: taking an entry over is not a try. A handler start raises its delivery count (see createAcks), so the
    // entries a dead consumer had read ahead keep count 1 (no try) and the one it was running when it died counts.
    const [claimed, deleted, trimmed] = source === 'stream'
      ? await redis.reclaim(key, o.group, o.consumer, o.claimIdleMs, room)
      : [((await redis.xautoclaim(key, o.group, o.consumer, o.claimIdleMs, '0-0', 'COUNT', room, 'JUSTID')) as [string, string[]])[1], [], []];
    const holding = new Set(scheduler.held().filter((job) => job.stream === s && job.source === 'stream').map((job) => job.id));
    const orphaned = trimmed.filter((id) => !holding.has(id));
    const pipeline = redis.pipeline();
    for (const id of claimed) pipeline.xrange(key, id, id).xpending(key, o.group, id, id, 1);
    const replies = claimed.length === 0 ? [] : ((await pipeline.exec()) ?? []).map(([error, reply]) => {
      if (error) throw error;
      return reply;
    });
    for (const [i, id] of claimed.entries()) {
      const pending = (replies[2 * i + 1] as [string, string, number, number][])[0];
      if (!pending) continue; // acknowledged since the claim
      const fields = (replies[2 * i] as RawEntry[])[0]?.[1] ?? null;
      const json = entryEvent(fields);
      // Trimmed since the claim: still pending for this consumer, whose acknowledgement settles it as any other's.
      const event = json !== undefined ? (JSON.parse(json) as StoredEvent) : source === 'stream' ? await fromStore(s, id) : undefined;
      if (!event) {
        if (source === 'stream') await redis.xack(key, o.group, id); // the store no longer has it (retention)
        continue;
      }
      // A handed-back entry's tries from before count as well as those since.
      if (scheduler.add(resumedJob(o, s, source, event, id, Math.max(0, pending[3] - 1, entryTries(fields))))) stats.reclaimed++;
    }
    // Trimmed entries no live consumer holds, handed back once (HAND_BACK), and entries deleted from the stream some other
    // way, which XAUTOCLAIM has already dropped from the pending list: their events come from the store.
    if (orphaned.length > 0) {
      const pairs: string[] = [];
      for (const id of orphaned) {
        const event = await fromStore(s, id);
        pairs.push(id, event ? JSON.stringify(event) : '');
      }
      stats.reclaimed += await redis.handBack(s.keys.replay, key, o.group, ...pairs);
    }
    for (const id of deleted) {
      const event = await fromStore(s, id);
      if (event) await redis.xadd(s.keys.replay, '*', 'event', JSON.stringify(event));
    }
  }

  async function sampleMark(s: StreamState) {
    const [[e1, groups], [e2, summary]] = (await redis.pipeline().xinfo('GROUPS', s.keys.stream).xpending(s.keys.stream, o.group).exec()) as [Error | null, unknown][] as [[Error | null, unknown], [Error | null, unknown]];
    if (e1 || e2) return;
    const group = (groups as string[][]).map((g) => Object.fromEntries(pairs(g))).find((g) => g.name === o.group);
    if (!group) return;
    let mark = positionOfEntryId(String(group['last-delivered-id']));
    const oldestPending = (summary as [number, string | null])[1];
    if (oldestPending) mark = Math.min(mark, positionOfEntryId(oldestPending) - 1);
    if (s.catchUpFrom !== undefined) mark = Math.min(mark, s.catchUpFrom);
    for (const job of scheduler.held()) if (job.stream === s && job.source === 'store') mark = Math.min(mark, job.position - 1);
    s.mark = mark;
  }

  return {
    async tick() {
      await heartbeat();
      const reclaiming = Date.now() - reclaimedAt >= o.claimIdleMs / 2;
      if (reclaiming) reclaimedAt = Date.now();
      // Type by type, each on its own: one whose slot's master is failing over holds back no other.
      for (const s of streams) {
        if (!s.ready) continue;
        try {
          if (reclaiming) {
            await reclaim(s, 'stream');
            await reclaim(s, 'replay');
          }
          await sampleMark(s);
        } catch (error) {
          o.onError(error);
        }
      }
    },
  };
}

function pairs(flat: unknown[]): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([String(flat[i]), flat[i + 1]]);
  return out;
}
