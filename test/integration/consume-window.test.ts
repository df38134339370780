import { type AddressInfo, createServer, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { httpEventReader } from '../../src/client/http-reader.ts';
import { eventsStreamKey } from '../../src/events/stream-keys.ts';
import { closeAfterEach } from '../support/cleanup.ts';
import { appendSpread, outOfOrder, sleep, startConsumer, streamsServices } from '../support/consume.ts';
import { testRedisUrl } from '../support/env.ts';
import { get } from '../support/http.ts';
import { waitUntil } from '../support/wait.ts';

// consume() where the Streams window has moved: starting points, catching up from the store, trimmed entries.

const cleanup = closeAfterEach();
const service = streamsServices(cleanup);
const redis = new Redis(testRedisUrl);
afterAll(() => redis.disconnect());

describe('consume() and the Streams window', () => {
  it("start 'end' receives only what is appended after it started; 'beginning' reads the history the window lost from the store", async () => {
    const t = await service({ REDIS_STREAMS_MAXLEN: '100' });
    const before = await appendSpread(t, 10, 50);
    expect(await waitUntil(async () => (await get(t.app, '/health')).body.publish_lag === 0)).toBe(true);
    const late = await startConsumer(t, { redisUrl: testRedisUrl, group: 'late', start: 'end' });
    cleanup.push(() => late.stop());
    const all = await startConsumer(t, { redisUrl: testRedisUrl, group: 'all', start: 'beginning', concurrency: 8 });
    cleanup.push(() => all.stop());
    const after = await appendSpread(t, 2, 3);
    expect(await waitUntil(() => all.recorder.handled.length === 506 && late.recorder.handled.length === 6, 15_000)).toBe(true);
    expect(late.recorder.ids()).toEqual(new Set(after.stored.map((e) => e.id)));
    expect(all.recorder.ids()).toEqual(new Set([...before.stored, ...after.stored].map((e) => e.id)));
    expect(all.stats().fromStore).toBeGreaterThanOrEqual(300);
    expect(outOfOrder(all.recorder.handled)).toBe(0);
  });

  it('a group whose consumers were away while the window moved past it catches up from the store, missing nothing', async () => {
    const t = await service({ REDIS_STREAMS_MAXLEN: '100' });
    const first = await startConsumer(t, { redisUrl: testRedisUrl, start: 'beginning' });
    const a = await appendSpread(t, 4, 5);
    expect(await waitUntil(() => first.recorder.handled.length === 20)).toBe(true);
    await first.stop();
    const b = await appendSpread(t, 20, 30);
    const second = await startConsumer(t, { redisUrl: testRedisUrl, consumer: 'c2', concurrency: 16 });
    cleanup.push(() => second.stop());
    const c = await appendSpread(t, 2, 2);
    const expected = [...b.stored, ...c.stored].map((e) => e.id);
    expect(await waitUntil(() => expected.every((id) => second.recorder.ids().has(id)), 15_000)).toBe(true);
    expect(a.stored.some((e) => second.recorder.ids().has(e.id))).toBe(false);
    expect(second.stats().fromStore).toBeGreaterThan(0);
    expect(outOfOrder(second.recorder.handled)).toBe(0);
  });

  it('stop() during a catch-up from the store returns once the running handlers finish, and the next consumer goes on from there', async () => {
    const t = await service({ REDIS_STREAMS_MAXLEN: '100' });
    const { stored } = await appendSpread(t, 10, 40);
    expect(await waitUntil(async () => (await get(t.app, '/health')).body.publish_lag === 0)).toBe(true);
    const first = await startConsumer(t, { redisUrl: testRedisUrl, start: 'beginning', handler: () => sleep(20) });
    expect(await waitUntil(() => first.recorder.handled.length >= 3, 10_000)).toBe(true);
    expect(first.stats().fromStore).toBeGreaterThan(0);
    const stopped = first.stop();
    expect(await waitUntil(async () => (await Promise.race([stopped.then(() => true), sleep(50).then(() => false)])), 5_000)).toBe(true);
    const second = await startConsumer(t, { redisUrl: testRedisUrl, consumer: 'c2', concurrency: 8 });
    cleanup.push(() => second.stop());
    const handled = () => new Set([...first.recorder.ids(), ...second.recorder.ids()]);
    expect(await waitUntil(() => stored.every((e) => handled().has(e.id)), 15_000)).toBe(true);
  });

  it('stop() during a catch-up read that gets no answer returns at once, reporting nothing', async () => {
    const t = await service({ REDIS_STREAMS_MAXLEN: '100' });
    await appendSpread(t, 10, 20);
    expect(await waitUntil(async () => (await get(t.app, '/health')).body.publish_lag === 0)).toBe(true);
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket)); // takes the connection, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    cleanup.push(async () => {
      for (const s of sockets) s.destroy();
      silent.close();
    });
    const errors: unknown[] = [];
    const reader = httpEventReader(`http://127.0.0.1:${(silent.address() as AddressInfo).port}`); // 30 s a page by default
    const consumer = await startConsumer(t, { redisUrl: testRedisUrl, start: 'beginning', reader, onError: (e) => errors.push(e) });
    expect(await waitUntil(() => sockets.length > 0)).toBe(true);
    const stopping = performance.now();
    await consumer.stop();
    expect(performance.now() - stopping).toBeLessThan(10_000);
    expect(errors).toEqual([]);
  });

  it('entries the window trimmed while a consumer held them are handled by the group when it stops before handling them', async () => {
    const t = await service({ REDIS_STREAMS_MAXLEN: '100' });
    const { stored } = await appendSpread(t, 6, 1);
    expect(await waitUntil(async () => (await get(t.app, '/health')).body.publish_lag === 0)).toBe(true);
    const key = eventsStreamKey(t.channelPrefix, 'task');
    const first = await startConsumer(t, { redisUrl: testRedisUrl, start: 'beginning', concurrency: 1, claimIdleMs: 600, handler: () => sleep(1500) });
    expect(await waitUntil(async () => ((await redis.xpending(key, 'g1')) as [number])[0] === 6)).toBe(true);
    await appendSpread(t, 400, 1);
    expect(await waitUntil(async () => (await get(t.app, '/health')).body.publish_lag === 0)).toBe(true);
    const [oldest] = await redis.xrange(key, '-', '+', 'COUNT', 1);
    expect(Number(oldest![0].split('-')[0])).toBeGreaterThan(6); // the six are out of the window, still held
    // Past claimIdleMs, the six stay pending for the consumer (a claim would drop them); stop() hands them back through the
    // replay stream. c2 waits a minute before it would take them from a silent consumer: only the hand-back is in time.
    await sleep(1500);
    await first.stop();
    const second = await startConsumer(t, { redisUrl: testRedisUrl, consumer: 'c2', claimIdleMs: 60_000, concurrency: 8 });
    cleanup.push(() => second.stop());
    const handled = () => new Set([...first.recorder.ids(), ...second.recorder.ids()]);
    expect(await waitUntil(() => stored.every((e) => handled().has(e.id)), 15_000)).toBe(true);
  });
});
