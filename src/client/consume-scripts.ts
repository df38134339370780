// consume()'s Lua scripts. Entry ids are <position>-0; positions compare as Lua numbers.

const LAST_DELIVERED = `
local function last_delivered(key, group)
  if redis.call('EXISTS', key) == 0 then return nil end
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', key)) do
    local name, id
    for i = 1, #g, 2 do
      if g[i] == 'name' then name = g[i + 1] elseif g[i] == 'last-delivered-id' then id = g[i + 1] end
    end
    if name == group then return id end
  end
  return nil
end
local function position(id) return tonumber(string.match(id, '^%d+')) end`;

// XREADGROUP (never blocking), unless the group's last delivered id is before the first entry with room between: those
// events may be lost, and reading on would skip them. ARGV: group, consumer, count, and the id this consumer last read up
// to ('' if none yet). If the group has moved past that id since, entries already delivered to this consumer above it
// come first: a read whose reply never arrived (a connection lost after Redis ran it, a command resent to a promoted
// replica) left them in its pending list. Unmoved, nobody read in between: nothing to look for. Reading them again
// raised their delivery counts, which count tries (see createAcks): each is set back (an entry the stream no longer
// holds is left as it is: a claim would drop it).
export const READ_GROUP = `${LAST_DELIVERED}
local last = last_delivered(KEYS[1], ARGV[1])
if not last then return {'nogroup'} end
local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1]
if first and position(last) + 1 < position(first[1]) then return {'behind', last, first[1]} end
local entries = {}
if ARGV[4] ~= '' and ARGV[4] ~= last then
  local mine = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'STREAMS', KEYS[1], ARGV[4])
  if mine then
    for _, e in ipairs(mine[1][2]) do
      entries[#entries + 1] = e
      local p = e[2] and redis.call('XPENDING', KEYS[1], ARGV[1], e[1], e[1], 1)[1]
      if p then redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, e[1], 'RETRYCOUNT', p[4] - 1, 'JUSTID') end
    end
  end
end
local read = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'STREAMS', KEYS[1], '>')
if read then for _, e in ipairs(read[1][2]) do entries[#entries + 1] = e end end
return {'entries', last, entries}`;

// Moves the group's last delivered id from ARGV[2] to ARGV[3], only if no one moved it since.
export const SET_ID_IF = `${LAST_DELIVERED}
if last_delivered(KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('XGROUP', 'SETID', KEYS[1], ARGV[1], ARGV[3])
return 1`;

// Parks an event and acknowledges its entry in one step. ARGV: group, entry id ('' read from the store), then the fields.
export const PARK = `
redis.call('XADD', KEYS[1], '*', unpack(ARGV, 3))
if ARGV[2] ~= '' then redis.call('XACK', KEYS[2], ARGV[1], ARGV[2]) end
return 1`;

// A lock held by a value: renewed (ARGV[2] ms) or released (ARGV[2] = 0) only by its holder.
export const RENEW_LOCK = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '0' then return redis.call('DEL', KEYS[1]) end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])`;

// XCLAIM … JUSTID of this consumer's entries, each only while the stream still holds it: Redis 7 drops an entry the
// stream no longer has from the pending list on a claim, and then nobody would deliver it again (see RECLAIM).
// ARGV: group, consumer, IDLE ms ('' for none), then pairs of entry id and RETRYCOUNT ('' for none). Returns the ids claimed.
export const CLAIM_KEPT = `
local claimed = {}
for i = 4, #ARGV, 2 do
  local id = ARGV[i]
  if #redis.call('XRANGE', KEYS[1], id, id) > 0 then
    local args = {'XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, id}
    if ARGV[3] ~= '' then args[#args + 1] = 'IDLE'; args[#args + 1] = ARGV[3] end
    if ARGV[i + 1] ~= '' then args[#args + 1] = 'RETRYCOUNT'; args[#args + 1] = ARGV[i + 1] end
    args[#args + 1] = 'JUSTID'
    for _, c in ipairs(redis.call(unpack(args))) do claimed[#claimed + 1] = c end
  end
end
return claimed`;

// A consumer's reclaim of a type's stream. XAUTOCLAIM … JUSTID of entries idle past ARGV[3] ms, from the stream's first
// entry on: the entries the window trimmed stay pending, held by whoever had them (a claim would drop them). Returns
// also those trimmed entries, idle as long, still pending for consumers silent as long (a live consumer touches the
// group every tick while it holds entries: these are dead) or for this one (an earlier process of the same name, or a
// read whose reply was lost; the caller leaves out those it holds), to be handed back (HAND_BACK).
// ARGV: group, consumer, idle ms, count. Returns {claimed ids, ids XAUTOCLAIM found deleted, trimmed ids}.
export const RECLAIM = `
local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1]
local claimed, deleted = {}, {}
if first then
  local r = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], first[1], 'COUNT', ARGV[4], 'JUSTID')
  claimed, deleted = r[2], r[3] or {}
end
local silent = {}
for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local name, idle
  for i = 1, #c, 2 do
    if c[i] == 'name' then name = c[i + 1] elseif c[i] == 'idle' then idle = c[i + 1] end
  end
  if name ~= ARGV[2] and idle >= tonumber(ARGV[3]) then silent[name] = true end
end
local orphans = {}
for _, p in ipairs(redis.call('XPENDING', KEYS[1], ARGV[1], 'IDLE', ARGV[3], '-', first and ('(' .. first[1]) or '+', ARGV[4])) do
  if p[2] == ARGV[2] or silent[p[2]] then orphans[#orphans + 1] = p[1] end
end
return {claimed, deleted, orphans}`;

// Hands back through the group's replay stream (KEYS[1]) the events of pending entries the stream (KEYS[2]) no longer
// holds: each is acknowledged and its event added to the replay stream with its tries so far (its delivery count less
// the read, see createAcks), once (a concurrent hand-back finds it acknowledged). An entry still in the stream is left
// as it is. ARGV: group, then pairs of entry id and the event's JSON ('' when the store no longer has it: only
// acknowledged). Returns how many were handed back.
export const HAND_BACK = `
local n = 0
for i = 2, #ARGV, 2 do
  local id = ARGV[i]
  local p = #redis.call('XRANGE', KEYS[2], id, id) == 0 and redis.call('XPENDING', KEYS[2], ARGV[1], id, id, 1)[1]
  if p and redis.call('XACK', KEYS[2], ARGV[1], id) == 1 and ARGV[i + 1] ~= '' then
    redis.call('XADD', KEYS[1], '*', 'event', ARGV[i + 1], 'tries', tostring(math.max(p[4] - 1, 0)))
    n = n + 1
  end
end
return n`;
