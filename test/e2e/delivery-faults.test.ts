import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { describe, expect, inject, it } from 'vitest';
import type { StoredEvent } from '../../src/events/event.ts';
import { storeEventReader } from '../../src/store/store-reader.ts';
import { subscribe } from '../../src/client/subscribe.ts';
import { closeAfterEach } from '../support/cleanup.ts';
import { adminDatabaseUrl, databaseUrl } from '../support/env.ts';
import { newId } from '../support/http.ts';
import { freePort } from '../../src/postgres/free-port.ts';
import { hasRedisServer, privateRedis } from '../support/private-redis.ts';
import { startServiceProcess, type ServiceProcess } from '../support/process.ts';
import { newChannelPrefix } from '../support/service.ts';
import { waitUntil as until } from '../support/wait.ts';

// Faults against the service as a process, with a redis-server of the test's own.
const cleanup = closeAfterEach();

async function freshDatabase() {
  const name = `evt_${inject('runId')}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(adminDatabaseUrl(), { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}" template "${inject('templateDatabase')}"`);
  await admin.end();
  return databaseUrl(name);
}

/** Steady appends from `writers` loops over `aggregates`; records what was acknowledged. */
function load(url: () => string, writers: number, aggregates: string[]) {
  const acked: { id: string; aggregate_id: string; sequence: number }[] = [];
  let running = true;
  const loops = Array.from({ length: writers }, async (_, w) => {
    for (let i = 0; running; i++) {
      try {
        const res = await fetch(`${url()}/events`, {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ event_type: 'task.progressed', aggregate_id: aggregates[(w + i) % aggregates.length], payload: { w, i } }),
        });
        if (res.status === 201) acked.push((await res.json()) as never);
      } catch {
        await new Promise((r) => setTimeout(r, 50)); // service down: retry later
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  });
  return { acked, stop: async () => ((running = false), await Promise.all(loops)) };
}

function perAggregateInOrder(seen: StoredEvent[]) {
  const last = new Map<string, number>();
  let outOfOrder = 0;
  for (const e of seen) {
    if ((last.get(e.aggregate_id) ?? 0) >= e.sequence) outOfOrder++;
    last.set(e.aggregate_id, e.sequence);
  }
  return outOfOrder;
}

describe.skipIf(!hasRedisServer)('delivery under faults', () => {
  it('Redis killed for 5 s during steady appends: nothing acknowledged is missed, order holds, lag returns to 0', async () => {
    const redis = privateRedis(await freePort());
    await redis.start();
    cleanup.push(() => redis.stop());
    const url = await freshDatabase();
    const prefix = newChannelPrefix();
    const svc = await startServiceProcess({ DATABASE_URL: url, REDIS_URL: redis.url, REDIS_CHANNEL_PREFIX: prefix, RELAY_POLL_INTERVAL_MS: '50' }, await freePort());
    cleanup.push(async () => svc.child.kill('SIGKILL'));
    const sql = postgres(url, { max: 2, onnotice: () => {} });
    cleanup.push(() => sql.end());
    const seen: StoredEvent[] = [];
    const sub = await subscribe({ redisUrl: redis.url, channelPrefix: prefix, reader: storeEventReader(sql), onEvent: (e) => void seen.push(e) });
    cleanup.push(() => sub.close());

    const writes = load(() => svc.url, 4, Array.from({ length: 6 }, () => newId()));
    await new Promise((r) => setTimeout(r, 1500));
    await redis.stop();
    await new Promise((r) => setTimeout(r, 5000));
    await redis.start();
    const back = Date.now();
    await new Promise((r) => setTimeout(r, 1500));
    await writes.stop();

    const lagZero = await until(async () => ((await (await fetch(`${svc.url}/health`)).json()) as { publish_lag: number }).publish_lag === 0, 10_000);
    expect(lagZero).toBe(true);
    expect(Date.now() - back).toBeLessThan(10_000 + 1500);
    const seenIds = () => new Set(seen.map((e) => e.id));
    expect(await until(() => writes.acked.every((a) => seenIds().has(a.id)), 10_000)).toBe(true);
    expect(writes.acked.length).toBeGreaterThan(100);
    expect(seenIds().size).toBe(seen.length);
    expect(perAggregateInOrder(seen)).toBe(0);
  });

  it('service SIGKILLed while Redis holds publishes back (CLIENT PAUSE WRITE): after a restart every acknowledged event is stored and published', async () => {
    const redis = privateRedis(await freePort());
    await redis.start();
    cleanup.push(() => redis.stop());
    const port = String(new URL(redis.url).port);
    const url = await freshDatabase();
    const prefix = newChannelPrefix();
    const env = { DATABASE_URL: url, REDIS_URL: redis.url, REDIS_CHANNEL_PREFIX: prefix, RELAY_POLL_INTERVAL_MS: '50', RELAY_LEASE_MS: '1000' };
    let svc: ServiceProcess = await startServiceProcess(env, await freePort());
    cleanup.push(async () => svc.child.kill('SIGKILL'));

    // A plain subscriber records what is actually published.
    const listener = new Redis(redis.url);
    cleanup.push(async () => listener.disconnect());
    const published = new Set<string>();
    listener.on('pmessage', (_p: string, _c: string, body: string) => published.add(JSON.parse(body).id));
    await listener.psubscribe(`${prefix}events:*`);

    const writes = load(() => svc.url, 4, Array.from({ length: 6 }, () => newId()));
    await new Promise((r) => setTimeout(r, 1000));
    spawnSync('redis-cli', ['-p', port, 'client', 'pause', '30000', 'write']);
    await new Promise((r) => setTimeout(r, 1500));
    svc.child.kill('SIGKILL');
    await svc.exited;
    await writes.stop();
    spawnSync('redis-cli', ['-p', port, 'client', 'unpause']);

    svc = await startServiceProcess(env, await freePort());
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    cleanup.push(() => sql.end());
    const stored = new Set((await sql<{ id: string }[]>`select id from events`).map((r) => r.id));
    const acked = writes.acked.map((a) => a.id);
    expect(acked.length).toBeGreaterThan(50);
    expect(acked.filter((id) => !stored.has(id))).toEqual([]);
    expect(await until(() => acked.every((id) => published.has(id)), 15_000)).toBe(true);
  });

  it("logs where Redis was not reachable at the start without REDIS_URL's password", async () => {
    const port = await freePort(); // nothing listens there
    const svc = await startServiceProcess({ DATABASE_URL: await freshDatabase(), REDIS_URL: `redis://app:s3cret@127.0.0.1:${port}`, REDIS_CHANNEL_PREFIX: newChannelPrefix() }, await freePort());
    cleanup.push(async () => svc.child.kill('SIGKILL'));
    expect(svc.output()).toContain(`"redis":"redis://app:***@127.0.0.1:${port}"`);
    expect(svc.output()).not.toContain('s3cret');
  });

  it('starts while Redis is down, accepts appends, and publishes them once Redis comes up', async () => {
    const redis = privateRedis(await freePort());
    cleanup.push(() => redis.stop());
    const prefix = newChannelPrefix();
    const svc = await startServiceProcess({ DATABASE_URL: await freshDatabase(), REDIS_URL: redis.url, REDIS_CHANNEL_PREFIX: prefix, RELAY_POLL_INTERVAL_MS: '50' }, await freePort());
    cleanup.push(async () => svc.child.kill('SIGKILL'));
    expect(svc.output()).toContain('Redis is not reachable');
    expect(svc.output()).not.toContain('redis unavailable'); // said once

    const appended = await fetch(`${svc.url}/events`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event_type: 'task.created', aggregate_id: newId() }),
    });
    expect(appended.status).toBe(201);
    const { id } = (await appended.json()) as { id: string };
    expect(((await (await fetch(`${svc.url}/health`)).json()) as { redis: string }).redis).toBe('unavailable');

    // Redis comes up refusing the service until a listener has subscribed.
    await redis.start({ locked: true });
    const listener = new Redis(redis.lockedUrl);
    cleanup.push(async () => listener.disconnect());
    const published = new Set<string>();
    listener.on('pmessage', (_p: string, _c: string, body: string) => published.add(JSON.parse(body).id));
    await listener.psubscribe(`${prefix}events:*`);
    redis.unlock();
    expect(await until(() => published.has(id), 10_000)).toBe(true);
  });
});
