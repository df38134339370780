// The relay's Lua scripts. Positions travel as decimal strings and are compared as Lua numbers,
// exact below 2^53 (positions are safe integers). Each publishing script comes in two forms:
// PUBLISH (REDIS_PUBSUB=broadcast) and SPUBLISH (sharded). A script may SPUBLISH only on a
// channel of its keys' slot: a mark key's hash tag is its channel's full name, so both hash
// the same string.
export type PublishCommand = 'PUBLISH' | 'SPUBLISH';

// Publishes each message whose position is above the newest one recorded for its channel, and
// records it, in one atomic step per message. KEYS: one mark key per channel of the call;
// ARGV: per message, the index of its key, its position, its channel and its body.
export const publishAboveMark = (command: PublishCommand) => `
local marks = {}
for i, key in ipairs(KEYS) do marks[i] = tonumber(redis.call('GET', key) or '0') end
local published = 0
for m = 1, #ARGV, 4 do
  local k = tonumber(ARGV[m])
  local position = tonumber(ARGV[m + 1])
  if position > marks[k] then
    redis.call('${command}', ARGV[m + 2], ARGV[m + 3])
    redis.call('SET', KEYS[k], ARGV[m + 1])
    marks[k] = position
    published = published + 1
  end
end
return published`;

const TOP_OF = `
local function top_of(key)
  local last = redis.call('XREVRANGE', key, '+', '-', 'COUNT', 1)
  if last[1] then return tonumber(string.match(last[1][1], '^%d+')) end
  return 0
end`;

// publishAboveMark, plus each message XADDed to its stream as <position>-0 with one field,
// event. KEYS: the mark keys, then the stream keys. ARGV: the number of mark keys, MAXLEN, per
// stream the newest position it must already hold, then per message: its mark index, its
// stream index (either 0: none), position, channel, body. Returns per stream -1 (in sync: its
// entries were added) or the top it was found at, below what it must hold (nothing added).
export const publishAndMirror = (command: PublishCommand) => `${TOP_OF}
local nm = tonumber(ARGV[1])
local ns = #KEYS - nm
local marks, tops, ok = {}, {}, {}
for i = 1, nm do marks[i] = tonumber(redis.call('GET', KEYS[i]) or '0') end
for s = 1, ns do
  tops[s] = top_of(KEYS[nm + s])
  ok[s] = tops[s] >= tonumber(ARGV[2 + s])
end
for m = 3 + ns, #ARGV, 5 do
  local k, s, position = tonumber(ARGV[m]), tonumber(ARGV[m + 1]), tonumber(ARGV[m + 2])
  if k > 0 and position > marks[k] then
    redis.call('${command}', ARGV[m + 3], ARGV[m + 4])
    redis.call('SET', KEYS[k], ARGV[m + 2])
    marks[k] = position
  end
  if s > 0 and ok[s] and position > tops[s] then
    redis.pcall('XADD', KEYS[nm + s], 'MAXLEN', '~', ARGV[2], ARGV[m + 2] .. '-0', 'event', ARGV[m + 4])
    tops[s] = position
  end
end
local result = {}
for s = 1, ns do result[s] = ok[s] and -1 or tops[s] end
return result`;

// Refills a stream with stored events, oldest first, only if its top is still the one the
// caller saw (so two refills never interleave). ARGV: that top, 1 to empty the stream first,
// MAXLEN, then position and body per event. An empty stream's last id is set back to 0-0 (its
// groups are kept). Returns {1, new top} or {0, the top found}.
export const REFILL_STREAM = `${TOP_OF}
local top = top_of(KEYS[1])
if top ~= tonumber(ARGV[1]) then return {0, top} end
if redis.call('EXISTS', KEYS[1]) == 1 then
  if ARGV[2] == '1' then redis.call('XTRIM', KEYS[1], 'MAXLEN', 0) end
  if redis.call('XLEN', KEYS[1]) == 0 then redis.call('XSETID', KEYS[1], '0-0') end
end
for i = 4, #ARGV, 2 do
  redis.pcall('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], ARGV[i] .. '-0', 'event', ARGV[i + 1])
  top = math.max(top, tonumber(ARGV[i]))
end
return {1, top}`;
