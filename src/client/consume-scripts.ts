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
// replica) left them in its pending list. Unmoved, nobody read in between: nothing to look for.
export const READ_GROUP = `${LAST_DELIVERED}
local last = last_delivered(KEYS[1], ARGV[1])
if not last then return {'nogroup'} end
local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1]
if first and position(last) + 1 < position(first[1]) then return {'behind', last, first[1]} end
local entries = {}
if ARGV[4] ~= '' and ARGV[4] ~= last then
  local mine = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'STREAMS', KEYS[1], ARGV[4])
  if mine then for _, e in ipairs(mine[1][2]) do entries[#entries + 1] = e end end
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
// stream no longer has from the pending list on a claim, and then nobody reads it from the store (XAUTOCLAIM reports
// such entries as deleted, which maintenance reads from the store). ARGV: group, consumer, IDLE ms ('' for none), then
// pairs of entry id and RETRYCOUNT ('' for none). Returns the ids claimed.
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
