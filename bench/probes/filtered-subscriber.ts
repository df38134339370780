// What a type-filtered subscriber pays to see every lost message (issue 15 item 7), measured
// on the subscriber's process and on Redis. N events over TYPES equally frequent types are
// PUBLISHed as the relay does (pipelines of BATCH); a subscriber that wants one type runs in a
// child process as:
//   type      SUBSCRIBE events:<its type> (today: cannot see a lost first event of an aggregate)
//   all       PSUBSCRIBE events:*, reads position and type of every message, parses its own
//   all-parse PSUBSCRIBE events:*, JSON.parse of every message
//   all-buffer PSUBSCRIBE events:*, other types' messages left as bytes: the channel name
//             picks its own, the position is read from the body's bytes
//   index     SUBSCRIBE events:<its type> plus one index message per batch listing each
//             position's type (what the relay would have to add)
//   npx tsx bench/probes/filtered-subscriber.ts [N] [TYPES]
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { redisUrl } from '../lib.ts';

const [mode, ...rest] = process.argv[2] === 'sub' ? process.argv.slice(2) : ['main', ...process.argv.slice(2)];
const BATCH = 500;

if (mode === 'sub') {
  const [variant, prefix] = rest as [string, string];
  const redis = new Redis(redisUrl);
  let messages = 0, bytes = 0, delivered = 0, seen = 0;
  let atReady: NodeJS.CpuUsage | undefined;
  const POSITION = /"position":(\d+)/, TYPE = /"aggregate_type":"([^"]+)"/;
  const onEvent = (channel: string, body: string) => {
    messages++;
    bytes += body.length;
    if (channel.endsWith(':end')) {
      const cpu = process.cpuUsage(atReady);
      process.stdout.write(JSON.stringify({ messages, bytes, delivered, seen, cpuMs: (cpu.user + cpu.system) / 1000 }) + '\n');
      process.exit(0);
    }
    if (variant === 'index' && channel.endsWith(':positions')) {
      for (const [, count] of JSON.parse(body).types as [string, number][]) seen += count;
      return;
    }
    if (variant === 'all' || variant === 'all-buffer') {
      seen = Number(POSITION.exec(body)![1]);
      if (TYPE.exec(body)![1] !== 't0') return;
    } else if (variant === 'all-parse') {
      const e = JSON.parse(body);
      seen = e.position;
      if (e.aggregate_type !== 't0') return;
    }
    JSON.parse(body);
    delivered++;
  };
  const POSITION_KEY = Buffer.from('"position":');
  const own = Buffer.from(`${prefix}events:t0`);
  if (variant === 'all-buffer') {
    redis.on('pmessageBuffer', (_p: string, c: Buffer, b: Buffer) => {
      if (!c.equals(own)) {
        messages++;
        bytes += b.length;
        let at = b.indexOf(POSITION_KEY) + POSITION_KEY.length;
        let n = 0;
        for (let d = b[at]!; d >= 48 && d <= 57; d = b[++at]!) n = n * 10 + d - 48;
        seen = n;
        return;
      }
      onEvent(c.toString(), b.toString());
    });
    redis.on('message', onEvent);
  } else {
    redis.on('message', onEvent);
    redis.on('pmessage', (_p: string, c: string, b: string) => onEvent(c, b));
  }
  if (variant.startsWith('all')) await redis.psubscribe(`${prefix}events:*`);
  else await redis.subscribe(`${prefix}events:t0`, ...(variant === 'index' ? [`${prefix}positions`] : []));
  await redis.subscribe(`${prefix}bench:end`);
  atReady = process.cpuUsage();
  process.stdout.write('ready\n');
} else {
  const N = Number(rest[0] ?? 100_000), TYPES = Number(rest[1] ?? 10);
  const pub = new Redis(redisUrl);
  const event = (position: number, type: string) => JSON.stringify({
    id: randomUUID(), event_type: `${type}.progressed`, aggregate_type: type, aggregate_id: randomUUID(), sequence: 1, position,
    payload: { name: 'explore-agent', agent_type: 'exploration' }, metadata: { session_id: 'session-123', correlation_id: 'corr-456' }, version: 1, created_at: '2026-11-23T01:44:44.123456Z',
  });
  const bodies = Array.from({ length: N }, (_, i) => ({ type: `t${i % TYPES}`, body: event(i + 1, `t${i % TYPES}`) }));
  const redisCpu = async () => {
    const info = await pub.info('cpu');
    return (Number(/used_cpu_user:([\d.]+)/.exec(info)![1]) + Number(/used_cpu_sys:([\d.]+)/.exec(info)![1])) * 1000;
  };
  for (const round of [1, 2]) {
    for (const variant of ['type', 'all', 'all-parse', 'all-buffer', 'index']) {
      const prefix = `probe-${randomUUID().slice(0, 8)}:`;
      const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'sub', variant, prefix], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      while (!out.includes('ready')) await new Promise((r) => setTimeout(r, 20));
      const cpuBefore = await redisCpu();
      const started = performance.now();
      for (let i = 0; i < N; i += BATCH) {
        const p = pub.pipeline();
        const batch = bodies.slice(i, i + BATCH);
        for (const b of batch) p.publish(`${prefix}events:${b.type}`, b.body);
        if (variant === 'index') {
          const runs: [string, number][] = [];
          for (const b of batch) runs.at(-1)?.[0] === b.type ? runs.at(-1)![1]++ : runs.push([b.type, 1]);
          p.publish(`${prefix}positions`, JSON.stringify({ after: i, types: runs }));
        }
        await p.exec();
      }
      await pub.publish(`${prefix}bench:end`, 'end');
      await new Promise((r) => child.once('exit', r));
      const wallMs = performance.now() - started;
      const r = JSON.parse(out.split('\n')[1]!);
      console.log(`round ${round} ${variant.padEnd(9)} subscriber cpu ${r.cpuMs.toFixed(0).padStart(5)} ms  received ${String(r.messages).padStart(7)} msgs ${(r.bytes / 1e6).toFixed(1).padStart(5)} MB  delivered ${r.delivered}  redis cpu ${(await redisCpu() - cpuBefore).toFixed(0).padStart(5)} ms  wall ${wallMs.toFixed(0)} ms`);
    }
  }
  pub.disconnect();
}
