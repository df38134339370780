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

// ARGV: 'replay' or 'discard', the most entries, then the ids (none: the oldest).
const TAKE_PARKED = `
local entries = {}
if #ARGV > 2 then
  for i = 3, #ARGV do
    local e = redis.call('XRANGE', KEYS[1], ARGV[i], ARGV[i])[1]
    if e then entries[#entries + 1] = e end
  end
else
  entries = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', ARGV[2])
end
local taken = {}
for _, e in ipairs(entries) do
  if ARGV[1] == 'replay' then
    local event
    for i = 1, #e[2], 2 do if e[2][i] == 'event' then event = e[2][i + 1] end end
    redis.call('XADD', KEYS[2], '*', 'event', event, 'parked_id', e[1])
  end
  redis.call('XDEL', KEYS[1], e[1])
  taken[#taken + 1] = e[1]
end
return taken`;

const LAST_ENTRY_ID = '18446744073709551615-18446744073709551615';

type TakingRedis = RedisConnection & { takeParked(parked: string, replay: string, ...args: (string | number)[]): Promise<string[]> };

/** The given parked entries, or the oldest `limit`, chosen for a replay or a discard. */
export interface ParkedSelection {
  ids?: string[];
  limit: number;
}

/** A group's dead letters: listed, replayed (its consume() consumers read the replay stream) or discarded. */
export function createParkedEvents(redis: RedisConnection, channelPrefix: string) {
  if (!('takeParked' in redis)) redis.defineCommand('takeParked', { numberOfKeys: 2, lua: TAKE_PARKED });
  // In one step; an id given twice is one entry, taken once. Returns the ids taken.
  const take = (action: 'replay' | 'discard', aggregateType: string, group: string, selection: ParkedSelection): Promise<string[]> =>
    (redis as TakingRedis).takeParked(parkedStreamKey(channelPrefix, aggregateType, group), replayStreamKey(channelPrefix, aggregateType, group), action, selection.limit, ...new Set(selection.ids ?? []));
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
    /** Moves parked events back to the group. */
    replay: (aggregateType: string, group: string, selection: ParkedSelection) => take('replay', aggregateType, group, selection),
    /** Deletes parked events the group will not handle (the events stay in the store). */
    discard: (aggregateType: string, group: string, selection: ParkedSelection) => take('discard', aggregateType, group, selection),
  };
}

export type ParkedEvents = ReturnType<typeof createParkedEvents>;
