// The README's plain Redis consumer in Python (redis-py), run as written but for its Redis,
// service and handler: it must see every event, from the store when the window moved past its
// group, and go on after Redis lost everything or was away.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/postgres/free-port.ts';
import { newId, postJson } from '../support/http.ts';
import { privateRedis } from '../support/private-redis.ts';
import { startTestService } from '../support/service.ts';
import { waitUntil } from '../support/wait.ts';

const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const README = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f().catch(() => {});
});

/** The README's recipe with `replacements` made; each must be found, so a rewritten recipe fails here rather than passing untested. */
function recipe(replacements: [string, string][]): string {
  const start = README.indexOf('With Python (redis-py)');
  const block = /```python\n([\s\S]*?)```/.exec(README.slice(start))![1]!;
  return replacements.reduce((code, [from, to]) => {
    expect(code).toContain(from);
    return code.replace(from, to);
  }, block);
}

describe("the README's Python consumer", () => {
  it('handles every event, reading from the store what the window lost, and goes on after Redis lost the stream and its group, or was away', async () => {
    if (spawnSync(PYTHON, ['-c', 'import redis, requests']).status !== 0) {
      throw new Error(`${PYTHON} cannot import redis and requests: install Debian's python3-redis and python3-requests ("apt-get install -y python3-redis python3-requests"; .ci/run does), or set PYTHON`);
    }
    const redis = privateRedis(await freePort());
    await redis.start();
    cleanup.push(() => redis.stop());
    // No channel prefix: the recipe's key, stream:events:task, as written.
    const t = await startTestService({ REDIS_URL: redis.url, REDIS_CHANNEL_PREFIX: '', REDIS_STREAMS: 'on', REDIS_STREAMS_MAXLEN: '100', REDIS_STREAMS_CHECK_MS: '200', PORT: '0' });
    cleanup.push(() => t.close());
    const { port } = await t.service.listen();
    const admin = new Redis(redis.url);
    admin.on('error', () => {}); // while Redis is away; it reconnects
    cleanup.push(async () => admin.disconnect());

    const append = async (n: number) => {
      const events = Array.from({ length: n }, () => ({ event_type: 'task.progressed', aggregate_id: newId() }));
      const res = await postJson(t.app, '/events/batch', { events });
      expect(res.status).toBe(201);
      return (res.body.events as { id: string }[]).map((e) => e.id);
    };
    const stored: string[] = [];
    for (let i = 0; i < 3; i++) stored.push(...(await append(100)));
    expect(await waitUntil(async () => (await admin.xrevrange('stream:events:task', '+', '-', 'COUNT', 1))[0]?.[0] === '300-0')).toBe(true);
    const [first] = await admin.xrange('stream:events:task', '-', '+', 'COUNT', 1);
    expect(Number(first![0].split('-')[0])).toBeGreaterThan(1); // the window lost the first events: they come from the store

    const code = recipe([
      ['r = redis.Redis()', `r = redis.Redis(port=${new URL(redis.url).port})`],
      ["'http://localhost:8011'", `'http://127.0.0.1:${port}'`],
      ['...  # idempotent: the same event can come again', "print(event['id'], flush=True)"],
    ]);
    const child = spawn(PYTHON, ['-c', code], { stdio: ['ignore', 'pipe', 'pipe'] });
    let exited = false;
    child.once('exit', () => (exited = true));
    cleanup.push(async () => child.kill('SIGKILL'));
    const handled = new Set<string>();
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => d.toString().split('\n').forEach((id) => id && handled.add(id)));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const all = () => stored.every((id) => handled.has(id));
    expect(await waitUntil(() => all() || exited, 20_000)).toBe(true);
    expect({ exited, stderr }).toEqual({ exited: false, stderr: '' });

    await admin.flushall();
    stored.push(...(await append(5)));
    expect(await waitUntil(() => all() || exited, 20_000)).toBe(true);
    expect({ missing: stored.filter((id) => !handled.has(id)), exited, stderr }).toEqual({ missing: [], exited: false, stderr: '' });

    // Redis away for a while, back empty: the recipe waits for it, then as above.
    await redis.stop();
    stored.push(...(await append(5)));
    await new Promise((r) => setTimeout(r, 1500));
    await redis.start();
    expect(await waitUntil(() => all() || exited, 20_000)).toBe(true);
    expect({ missing: stored.filter((id) => !handled.has(id)), exited, stderr }).toEqual({ missing: [], exited: false, stderr: '' });
  });
});
