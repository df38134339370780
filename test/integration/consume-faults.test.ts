import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { eventsStreamKey, parkedStreamKey } from '../../src/events/stream-keys.ts';
import { freePort } from '../../src/postgres/free-port.ts';
import { closeAfterEach } from '../support/cleanup.ts';
import { record, startConsumer } from '../support/consume.ts';
import { testRedisUrl } from '../support/env.ts';
import { newId, postJson } from '../support/http.ts';
import { hasRedisServer, privateRedis } from '../support/private-redis.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { deleteKeys } from '../support/streams.ts';
import { waitUntil } from '../support/wait.ts';

const cleanup = closeAfterEach();
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function service(env: Record<string, string>): Promise<TestService> {
  const t = await startTestService({ REDIS_STREAMS: 'on', REDIS_STREAMS_CHECK_MS: '200', ...env });
  cleanup.push(async () => (await t.close(), await deleteKeys(t.channelPrefix)));
  return t;
}

/** Appends in a loop over a few aggregates until stopped; records what the service acknowledged. */
function writer(t: TestService) {
  const aggregates = Array.from({ length: 6 }, () => newId());
  const acked: string[] = [];
  let running = true;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const res = await postJson(t.app, '/events', { event_type: 'task.progressed', aggregate_id: aggregates[i % 6], payload: { i } });
      if (res.status === 201) acked.push(res.body.id);
      await sleep(5);
    }
  })();
  return { acked, stop: async () => ((running = false), await loop) };
}

describe.skipIf(!hasRedisServer)('consume() when Redis loses everything', () => {
  for (const [name, lose] of [
    ['SIGKILL and a restart empty on the same port', async (server: ReturnType<typeof privateRedis>) => {
      await server.stop();
      await sleep(700);
      await server.start();
    }],
    ['FLUSHALL', async (server: ReturnType<typeof privateRedis>) => {
      const admin = new Redis(server.url);
      await admin.flushall();
      admin.disconnect();
    }],
  ] as const) {
    it(`misses no acknowledged event after ${name}`, async () => {
      const server = privateRedis(await freePort());
      await server.start();
      cleanup.push(() => server.stop());
      const t = await service({ REDIS_URL: server.url, REDIS_STREAMS_MAXLEN: '100' });
      // start 'end': after the loss only the group's sampled mark says where it was.
      const c = await startConsumer(t, { redisUrl: server.url, start: 'end', concurrency: 4, claimIdleMs: 600, handler: () => sleep(2) });
      cleanup.push(() => c.stop());
      const writes = writer(t);
      await waitUntil(() => c.recorder.handled.length > 60);
      const ackedBefore = writes.acked.length;
      await lose(server);
      // Appends go on after the loss, and past the stream's MAXLEN in all (however loaded the machine).
      expect(await waitUntil(() => writes.acked.length > Math.max(100, ackedBefore + 20), 20_000)).toBe(true);
      await writes.stop();
      expect(await waitUntil(() => writes.acked.every((id) => c.recorder.ids().has(id)), 20_000)).toBe(true);
    });
  }
});

/** A consume() process (test/support/consumer-process.ts) of group g1; `handled` collects what it printed. */
function consumerProcess(t: TestService, consumer: string, env: Record<string, string>, handled = new Set<string>()) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/consumer-process.ts'], {
    cwd: ROOT,
    env: { ...process.env, REDIS_URL: testRedisUrl, CHANNEL_PREFIX: t.channelPrefix, DATABASE_URL: t.databaseUrl, GROUP: 'g1', CONSUMER: consumer, HANDLER_MS: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let exited = false;
  const exit = new Promise<void>((r) => child.once('exit', () => r(void (exited = true))));
  cleanup.push(async () => child.kill('SIGKILL'));
  child.stdout!.on('data', (d: Buffer) => {
    for (const line of d.toString().split('\n')) if (line.startsWith('handled ')) handled.add(line.slice(8));
  });
  return { handled, exit, exited: () => exited, kill: async () => (child.kill('SIGKILL'), await exit) };
}

describe('consume() across processes', () => {
  it("a SIGKILLed consumer process's entries are reclaimed and finished by another consumer", async () => {
    const t = await service({});
    const aggregates = Array.from({ length: 20 }, () => newId());
    const events = Array.from({ length: 200 }, (_, i) => ({ event_type: 'task.progressed', aggregate_id: aggregates[i % 20] }));
    const stored = (await postJson(t.app, '/events/batch', { events })).body.events as { id: string }[];

    const doomed = consumerProcess(t, 'doomed', { HANDLER_MS: '40' });
    const byChild = doomed.handled;
    expect(await waitUntil(() => byChild.size >= 20, 20_000)).toBe(true);
    await doomed.kill();
    const key = eventsStreamKey(t.channelPrefix, 'task');
    const redis = new Redis(testRedisUrl);
    cleanup.push(async () => redis.disconnect());
    const [pendingAtDeath] = (await redis.xpending(key, 'g1')) as [number];
    expect(pendingAtDeath).toBeGreaterThan(0);

    const rescuer = await startConsumer(t, { redisUrl: testRedisUrl, consumer: 'rescuer', claimIdleMs: 500, concurrency: 8 }, record());
    cleanup.push(() => rescuer.stop());
    const all = () => stored.every((e) => byChild.has(e.id) || rescuer.recorder.ids().has(e.id));
    expect(await waitUntil(all, 20_000)).toBe(true);
    expect(rescuer.stats().reclaimed).toBeGreaterThan(0);
    expect(await waitUntil(async () => ((await redis.xpending(key, 'g1')) as [number])[0] === 0, 10_000)).toBe(true);
  });

  /** A consumer process 'doomed' holding four events whose entries the window trimmed, behind a full buffer. */
  async function holdingTrimmed() {
    const t = await service({ REDIS_STREAMS_MAXLEN: '100' });
    const batch = async (n: number) => (await postJson(t.app, '/events/batch', { events: Array.from({ length: n }, () => ({ event_type: 'task.progressed', aggregate_id: newId() })) })).body.events as { id: string }[];
    const held = await batch(4);
    const key = eventsStreamKey(t.channelPrefix, 'task');
    const redis = new Redis(testRedisUrl);
    cleanup.push(async () => redis.disconnect());
    // A buffer of four (READ_COUNT 1, concurrency 1), kept full by a 10 s handler: the process reads nothing more, and
    // none of its entries stays in the stream, so only its heartbeat (every 100 ms: CLAIM_IDLE_MS 300) tells the group it lives.
    const doomed = consumerProcess(t, 'doomed', { HANDLER_MS: '10000', CONCURRENCY: '1', READ_COUNT: '1', CLAIM_IDLE_MS: '300' });
    const pending = async () => ((await redis.xpending(key, 'g1').catch(() => [0])) as [number])[0];
    expect(await waitUntil(async () => (await pending()) === 4, 10_000)).toBe(true);
    await batch(10);
    expect(await waitUntil(async () => (await redis.xlen(key)) === 14, 10_000)).toBe(true);
    // Out of the window (trimmed by hand: the hundreds of appends it takes by MAXLEN would not change the case; an empty
    // stream the relay would fill again).
    await redis.xtrim(key, 'MINID', 5);
    expect(await redis.xlen(key)).toBe(10);
    return { t, held, doomed, pending };
  }

  it('entries the window trimmed while a consumer process held them stay its own while it lives, and go to the group when it dies', async () => {
    const { t, held, doomed, pending } = await holdingTrimmed();
    // Both outlive their claimIdleMs: no reclaim may drop the four from the pending list, nor hand them to the group
    // while the process holding them lives (the rescuer's 1 s leaves ten of its heartbeats' room for a loaded machine).
    const attempts = new Map<string, number>();
    const rescuer = await startConsumer(t, { redisUrl: testRedisUrl, consumer: 'rescuer', claimIdleMs: 1000, concurrency: 8, handler: async (e, c) => void attempts.set(e.id, c.attempt) }, record());
    cleanup.push(() => rescuer.stop());
    await sleep(2500);
    expect(held.filter((e) => rescuer.recorder.ids().has(e.id))).toEqual([]);
    expect(await pending()).toBe(4);
    await doomed.kill();
    expect(await waitUntil(() => held.every((e) => rescuer.recorder.ids().has(e.id)), 15_000)).toBe(true);
    expect(rescuer.stats().reclaimed).toBe(4);
    expect(await waitUntil(async () => (await pending()) === 0, 5_000)).toBe(true);
    // The one whose handler was running when the process died comes with that try counted; the three read ahead with none.
    expect(held.map((e) => attempts.get(e.id))).toEqual([2, 1, 1, 1]);
  });

  it('a consumer started again under the name of one that died holding trimmed entries handles them', async () => {
    const { t, held, doomed, pending } = await holdingTrimmed();
    await doomed.kill();
    const again = await startConsumer(t, { redisUrl: testRedisUrl, consumer: 'doomed', claimIdleMs: 500, concurrency: 8 }, record());
    cleanup.push(() => again.stop());
    expect(await waitUntil(() => held.every((e) => again.recorder.ids().has(e.id)), 15_000)).toBe(true);
    expect(await waitUntil(async () => (await pending()) === 0, 5_000)).toBe(true);
  });

  for (const [concurrency, handlerMs, beside, source] of [
    ['1', '0', 'read ahead with it', 'stream'],
    ['8', '40', 'started beside it or read ahead', 'stream'],
    ['4', '40', 'read from the store with it', 'store'],
  ] as const) {
  it(`parks an event that kills its consumers after maxAttempts deaths, and only it: the events ${beside} are handled (concurrency ${concurrency})`, async () => {
    const t = await service({});
    const aggregates = Array.from({ length: 10 }, () => newId());
    const events = Array.from({ length: 40 }, (_, i) => ({ event_type: 'task.progressed', aggregate_id: aggregates[i % 10] }));
    const stored = (await postJson(t.app, '/events/batch', { events })).body.events as { id: string; position: number }[];
    if (source === 'store') {
      // Out of the window before any consumer reads them: the group catches up from the store, where no entry counts tries.
      const later = (await postJson(t.app, '/events/batch', { events: events.slice(0, 5) })).body.events as { position: number }[];
      const key = eventsStreamKey(t.channelPrefix, 'task');
      const redis = new Redis(testRedisUrl);
      cleanup.push(async () => redis.disconnect());
      expect(await waitUntil(async () => (await redis.xlen(key)) === 45, 10_000)).toBe(true);
      await redis.xtrim(key, 'MINID', later[0]!.position);
    }
    const poison = stored[3]!.id;
    const innocents = stored.filter((e) => e.id !== poison).map((e) => e.id);
    const parkedKey = parkedStreamKey(t.channelPrefix, 'task', 'g1');
    const redis = new Redis(testRedisUrl);
    cleanup.push(async () => redis.disconnect());

    // One process at a time, each reading every entry ahead. The handlers running when one dies are charged a try:
    // the next runs each of those alone, so only the poison event's tries add up.
    const handled = new Set<string>();
    let deaths = 0;
    for (let i = 0; i < 6; i++) {
      const c = consumerProcess(t, `c${i}`, { POISON: poison, CONCURRENCY: concurrency, HANDLER_MS: handlerMs, MAX_ATTEMPTS: '3' }, handled);
      const done = async () => (await redis.xlen(parkedKey)) + innocents.filter((id) => handled.has(id)).length >= stored.length;
      expect(await waitUntil(async () => c.exited() || (await done()), 20_000)).toBe(true);
      if (!c.exited()) break;
      deaths++;
    }
    expect(deaths).toBe(3);
    const parked = (await redis.xrange(parkedKey, '-', '+')).map(([, fields]) => Object.fromEntries(fields.flatMap((f, i) => (i % 2 === 0 ? [[f, fields[i + 1]]] : []))));
    expect(parked.map((p) => ({ id: JSON.parse(p.event!).id, attempts: p.attempts, source: p.source }))).toEqual([{ id: poison, attempts: '3', source }]);
    expect(innocents.filter((id) => !handled.has(id))).toEqual([]);
  });
  }
});
