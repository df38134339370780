// Positions compare as Lua numbers (exact: they are safe integers). SPUBLISH needs the channel in its keys' slot: a
// mark key's hash tag is its channel's full name.
export type PublishCommand = 'PUBLISH' | 'SPUBLISH';

// A mark is written once per call, with the last position published on its channel (the script runs atomically).
const SET_RAISED_MARKS = `for k, position in pairs(raised) do redis.call('SET', KEYS[k], position) end`;

// Publishes each message above its channel's mark and raises the mark. ARGV per message: key index, position, channel, body.
export const publishAboveMark = (command: PublishCommand) => `
local marks = {}
for i, key in ipairs(KEYS) do marks[i] = tonumber(redis.call('GET', key) or '0') end
local raised = {}
local published = 0
for m = 1, #ARGV, 4 do
  local k = tonumber(ARGV[m])
  local position = tonumber(ARGV[m + 1])
  if position > marks[k] then
    redis.call('${command}', ARGV[m + 2], ARGV[m + 3])
    marks[k] = position
    raised[k] = ARGV[m + 1]
    published = published + 1
  end
end
${SET_RAISED_MARKS}
return published`;

const TOP_OF = `
local function top_of(key)
  local last = redis.call('XREVRANGE', key, '+', '-', 'COUNT', 1)
  if last[1] then return tonumber(string.match(last[1][1], '^%d+')) end
  return 0
end`;

// publishAboveMark plus XADD as <position>-0. KEYS: marks, streams. ARGV: mark count, MAXLEN, per stream its floor, per
// message: mark index, stream index (0: none), position, channel, body. Per stream: -1 (in sync) or its lower top.
export const publishAndMirror = (command: PublishCommand) => `${TOP_OF}
local nm = tonumber(ARGV[1])
local ns = #KEYS - nm
local marks, tops, ok, raised = {}, {}, {}, {}
for i = 1, nm do marks[i] = tonumber(redis.call('GET', KEYS[i]) or '0') end
for s = 1, ns do
  tops[s] = top_of(KEYS[nm + s])
  ok[s] = tops[s] >= tonumber(ARGV[2 + s])
end
for m = 3 + ns, #ARGV, 5 do
  local k, s, position = tonumber(ARGV[m]), tonumber(ARGV[m + 1]), tonumber(ARGV[m + 2])
  if k > 0 and position > marks[k] then
    redis.call('${command}', ARGV[m + 3], ARGV[m + 4])
    marks[k] = position
    raised[k] = ARGV[m + 2]
  end
  if s > 0 and ok[s] and position > tops[s] then
    redis.pcall('XADD', KEYS[nm + s], 'MAXLEN', '~', ARGV[2], ARGV[m + 2] .. '-0', 'event', ARGV[m + 4])
    tops[s] = position
  end
end
${SET_RAISED_MARKS}
local result = {}
for s = 1, ns do result[s] = ok[s] and -1 or tops[s] end
return result`;

// Refills a stream only if its top is still the one the caller saw (refills never interleave). ARGV: that top, 1 to
// empty it first (its groups are kept), MAXLEN, then position and body per event. Returns {1, new top} or {0, top found}.
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
