import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { HttpResult } from './http-load.ts';

const run = promisify(execFile);

export const hasWrk = () => spawnSync('wrk', ['--version']).error === undefined;

/** Where wrkAppends() puts each event's fresh aggregate id in the event's JSON. */
export const AGGREGATE_ID = '{{aggregate_id}}';

// Each request a fresh body: `batch` events (one: the body of POST /events; more: of POST
// /events/batch), each the given JSON with a new aggregate id. The ids come from LuaJIT's
// generator seeded from /dev/urandom per thread, so rounds never repeat them. done() prints one
// JSON line with the counts and the latency in microseconds.
const script = `
local batch, before, after
local r = math.random
local function uuid()
  return string.format('%04x%04x-%04x-4%03x-%04x-%04x%04x%04x', r(0, 0xffff), r(0, 0xffff), r(0, 0xffff),
    r(0, 0xfff), 0x8000 + r(0, 0x3fff), r(0, 0xffff), r(0, 0xffff), r(0, 0xffff))
end
local function event()
  return before .. uuid() .. after
end
local headers = { ["content-type"] = "application/json" }
function init(args)
  batch = tonumber(args[1])
  local at = string.find(args[2], '${AGGREGATE_ID}', 1, true)
  before, after = args[2]:sub(1, at - 1), args[2]:sub(at + ${AGGREGATE_ID.length})
  local f = io.open('/dev/urandom', 'rb')
  local b = { f:read(4):byte(1, 4) }
  f:close()
  math.randomseed(((b[1] * 256 + b[2]) * 256 + b[3]) * 256 + b[4])
end
function request()
  if batch == 1 then return wrk.format('POST', nil, headers, event()) end
  local events = {}
  for i = 1, batch do events[i] = event() end
  return wrk.format('POST', nil, headers, '{"events":[' .. table.concat(events, ',') .. ']}')
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"duration_us":%d,"errors":%d,"non2xx":%d,"p50_us":%d,"p99_us":%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
`;

/**
 * wrk (C, an event loop per thread, at most two threads) POSTing fresh appends to `url` (the
 * route: /events, or /events/batch when `batch` > 1) over `connections` keep-alive connections
 * for `seconds`; `event` is one event's JSON with AGGREGATE_ID where its aggregate id goes. Like
 * pgbench for the baseline, the load generator is a native program, so it takes little of the
 * two cores the service and PostgreSQL share with it.
 */
export async function wrkAppends(url: string, o: { connections: number; seconds: number; batch?: number; event: string }): Promise<HttpResult> {
  if (!o.event.includes(AGGREGATE_ID)) throw new Error(`the event has no ${AGGREGATE_ID}`);
  const dir = mkdtempSync(join(tmpdir(), 'evbench-wrk-'));
  try {
    writeFileSync(join(dir, 'appends.lua'), script);
    const threads = Math.min(2, o.connections);
    const { stdout } = await run('wrk', ['-t', String(threads), '-c', String(o.connections), '-d', `${o.seconds}s`, '--timeout', '10s', '-s', join(dir, 'appends.lua'), url, '--', String(o.batch ?? 1), o.event]);
    const line = stdout.split('\n').find((l) => l.startsWith('{"requests"'));
    if (!line) throw new Error(`wrk printed no summary:\n${stdout}`);
    const s = JSON.parse(line) as { requests: number; duration_us: number; errors: number; non2xx: number; p50_us: number; p99_us: number };
    return { rps: s.requests / (s.duration_us / 1e6), p50: s.p50_us / 1000, p99: s.p99_us / 1000, errors: s.errors, non2xx: s.non2xx, total: s.requests };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
