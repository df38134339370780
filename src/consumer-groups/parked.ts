import type { StoredEvent } from '../events/event.ts';
import { parkedStreamKey, replayStreamKey } from '../events/stream-keys.ts';
import type { RedisConnection } from '../publishing/redis.ts';

export interface ParkedEvent {
  /** The entry id in the group's dead-letter stream. */
  id: string;
  event: StoredEvent;
  error: string;
  attempts: number;
  consumer: string;
  /** Where the consumer had read it: 'stream', 'store' or 'replay'. */
  source: string;
  parked_at: string;
}

const REPLAY_PARKED = `
local entries = {}
if #ARGV > 1 then
  for i = 2, #ARGV do
    local e = redis.call('XRANGE', KEYS[1], ARGV[i], ARGV[i])[1]
    if e then entries[#entries + 1] = e end
  end
else
  entries = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', ARGV[1])
end
local moved = {}
for _, e in ipairs(entries) do
  local event
  for i = 1, #e[2], 2 do if e[2][i] == 'event' then event = e[2][i + 1] end end
  redis.call('XADD', KEYS[2], '*', 'event', event, 'parked_id', e[1])
  redis.call('XDEL', KEYS[1], e[1])
  moved[#moved + 1] = e[1]
end
return moved`;

const LAST_ENTRY_ID = '18446744073709551615-18446744073709551615';

type ReplayingRedis = RedisConnection & { replayParked(parked: string, replay: string, ...args: (string | number)[]): Promise<string[]> };

/** A group's dead letters: listed, and replayed (its consume() consumers read the replay stream). */
export function createParkedEvents(redis: RedisConnection, channelPrefix: string) {
  if (!('replayParked' in redis)) redis.defineCommand('replayParked', { numberOfKeys: 2, lua: REPLAY_PARKED });
  return {
    async list(aggregateType: string, group: string, after: string | undefined, limit: number): Promise<{ parked: ParkedEvent[]; next_after: string | null }> {
      // Redis refuses an exclusive start at the largest id: nothing can follow it.
      if (after === LAST_ENTRY_ID) return { parked: [], next_after: null };
      const entries = await redis.xrange(parkedStreamKey(channelPrefix, aggregateType, group), after ? `(${after}` : '-', '+', 'COUNT', limit + 1);
      const page = entries.slice(0, limit).map(([id, fields]) => {
        const f = Object.fromEntries(Array.from({ length: fields.length / 2 }, (_, i) => [fields[2 * i]!, fields[2 * i + 1]!]));
        return { id, event: JSON.parse(f.event ?? 'null') as StoredEvent, error: f.error ?? '', attempts: Number(f.attempts ?? 0), consumer: f.consumer ?? '', source: f.source ?? '', parked_at: f.parked_at ?? '' };
      });
      return { parked: page, next_after: entries.length > limit ? page[page.length - 1]!.id : null };
    },
    /** Moves parked events back to the group in one step: the given ones, or the oldest `limit`. Returns the ids moved. */
    async replay(aggregateType: string, group: string, selection: { ids?: string[]; limit: number }): Promise<string[]> {
      // An id given twice is one entry, moved once.
      const ids = [...new Set(selection.ids ?? [])];
      return (redis as ReplayingRedis).replayParked(parkedStreamKey(channelPrefix, aggregateType, group), replayStreamKey(channelPrefix, aggregateType, group), selection.limit, ...ids);
    },
  };
}

export type ParkedEvents = ReturnType<typeof createParkedEvents>;
