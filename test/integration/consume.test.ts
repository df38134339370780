import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { consume } from '../../src/client/consume.ts';
import { ConsumeOptionsError } from '../../src/client/consume-options.ts';
import { eventsStreamKey, parkedStreamKey } from '../../src/events/stream-keys.ts';
import { closeAfterEach } from '../support/cleanup.ts';
import { appendSpread, firstSeenOutOfOrder, outOfOrder, record, sleep, startConsumer, streamsServices } from '../support/consume.ts';
import { testRedisUrl } from '../support/env.ts';
import { newId, postJson } from '../support/http.ts';
import { streamEntries } from '../support/streams.ts';
import { waitUntil } from '../support/wait.ts';

const cleanup = closeAfterEach();
const service = streamsServices(cleanup);
const redis = new Redis(testRedisUrl);
afterAll(() => redis.disconnect());

describe('consume()', () => {
  it('handles one aggregate at a time in sequence order, up to `concurrency` aggregates in parallel', async () => {
    const t = await service();
    let running = 0;
    let peak = 0;
    const busy = new Set<string>();
    let overlapped = 0;
    const c = await startConsumer(t, {
      redisUrl: testRedisUrl, concurrency: 4, start: 'beginning',
      handler: async (e) => {
        if (busy.has(e.aggregate_id)) overlapped++;
        busy.add(e.aggregate_id);
        peak = Math.max(peak, ++running);
        await sleep(Math.random() * 4);
        running--;
        busy.delete(e.aggregate_id);
      },
    });
    cleanup.push(() => c.stop());
    const { stored } = await appendSpread(t, 12, 10, () => ({}), true);
    expect(await waitUntil(() => c.recorder.handled.length === 120, 15_000)).toBe(true);
    expect(c.recorder.ids()).toEqual(new Set(stored.map((e) => e.id)));
    expect(outOfOrder(c.recorder.handled)).toBe(0);
    expect(overlapped).toBe(0);
    expect(peak).toBe(4);
    expect(await waitUntil(async () => ((await redis.xpending(eventsStreamKey(t.channelPrefix, 'task'), 'g1')) as [number])[0] === 0, 5000)).toBe(true);
  });

  it('parks a poison event after its retries without holding back other aggregates, then goes on with its aggregate', async () => {
    const t = await service();
    const failed: number[] = [];
    const c = await startConsumer(t, {
      redisUrl: testRedisUrl, concurrency: 2, start: 'beginning', maxAttempts: 3, retryDelay: { initialMs: 1000, maxMs: 1000 },
      handler: (e) => {
        if ((e.payload as { poison?: boolean }).poison) {
          failed.push(Date.now());
          throw new Error('cannot handle this one');
        }
      },
    });
    cleanup.push(() => c.stop());
    const { stored, aggregateIds } = await appendSpread(t, 6, 5, (a, i) => (a === 0 && i === 1 ? { poison: true } : {}));
    const poison = stored.find((e) => e.aggregate_id === aggregateIds[0] && e.sequence === 2)!;
    // Every other aggregate is done while the poison event still waits for its third try.
    expect(await waitUntil(() => c.recorder.handled.filter((e) => e.aggregate_id !== aggregateIds[0]).length === 25, 10_000)).toBe(true);
    expect(failed.length).toBeLessThan(3);
    expect(await waitUntil(() => c.recorder.handled.length === 29, 10_000)).toBe(true);
    expect(c.recorder.handled.filter((e) => e.aggregate_id === aggregateIds[0]).map((e) => e.sequence)).toEqual([1, 3, 4, 5]);
    const parked = await redis.xrange(parkedStreamKey(t.channelPrefix, 'task', 'g1'), '-', '+');
    expect(parked).toHaveLength(1);
    const fields = Object.fromEntries(Array.from({ length: parked[0]![1].length / 2 }, (_, i) => [parked[0]![1][2 * i], parked[0]![1][2 * i + 1]]));
    expect(JSON.parse(fields.event!).id).toBe(poison.id);
    expect(fields).toMatchObject({ error: 'cannot handle this one', attempts: '3', consumer: 'c1', source: 'stream' });
    expect(c.stats()).toMatchObject({ parked: 1, failures: 3, handled: 29 });
    expect(await waitUntil(async () => ((await redis.xpending(eventsStreamKey(t.channelPrefix, 'task'), 'g1')) as [number])[0] === 0, 5000)).toBe(true);
  });

  it("an aggregate failing with more events than a read holds back no other aggregate's events behind them", async () => {
    const t = await service();
    const [failing, other] = [newId(), newId()];
    const c = await startConsumer(t, {
      redisUrl: testRedisUrl, concurrency: 2, readCount: 20, start: 'beginning', maxAttempts: 2, retryDelay: { initialMs: 3000, maxMs: 3000 },
      handler: (e) => {
        if (e.aggregate_id === failing) throw new Error('its database is down');
      },
    });
    cleanup.push(() => c.stop());
    const batch = (aggregate_id: string, n: number) => postJson(t.app, '/events/batch', { events: Array.from({ length: n }, () => ({ event_type: 'task.progressed', aggregate_id })) });
    // Twice the read-ahead of the failing aggregate's events, then the other's.
    await batch(failing, 40);
    await batch(other, 5);
    expect(await waitUntil(() => c.recorder.handled.filter((e) => e.aggregate_id === other).length === 5, 10_000)).toBe(true);
    expect(c.stats().parked).toBe(0); // before the first of the failing aggregate's events is parked
  });

  it('a handler that never returns is timed out and retried; the other aggregates do not wait for it', async () => {
    const t = await service();
    let hung = 0;
    const c = await startConsumer(t, {
      redisUrl: testRedisUrl, concurrency: 1, start: 'beginning', handlerTimeoutMs: 200, maxAttempts: 2, retryDelay: { initialMs: 50 },
      handler: (e, { attempt }) => {
        if ((e.payload as { hang?: boolean }).hang && attempt === 1) {
          hung++;
          return new Promise<void>(() => {});
        }
      },
    });
    cleanup.push(() => c.stop());
    const { stored } = await appendSpread(t, 3, 2, (a, i) => (a === 0 && i === 0 ? { hang: true } : {}));
    expect(await waitUntil(() => c.recorder.handled.length === 6, 10_000)).toBe(true);
    expect(hung).toBe(1);
    expect(c.recorder.ids()).toEqual(new Set(stored.map((e) => e.id)));
    expect(outOfOrder(c.recorder.handled)).toBe(0);
  });

  it('a read Redis executed but whose reply never came back (a resent command after a killed master) is recovered in order, not skipped', async () => {
    const t = await service();
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    // concurrency 1 and readCount 1: four events held stop the reads while the first one's handler waits at the gate
    const c = await startConsumer(t, {
      redisUrl: testRedisUrl, concurrency: 1, readCount: 1, claimIdleMs: 60_000, start: 'end',
      handler: async (e) => {
        if ((e.payload as { gate?: boolean }).gate) await gate;
      },
    });
    cleanup.push(async () => (open(), await c.stop()));
    const key = eventsStreamKey(t.channelPrefix, 'task');
    const delivered = async () => ((await redis.xpending(key, 'g1')) as [number])[0];
    for (const payload of [{ gate: true }, {}, {}, {}]) expect((await postJson(t.app, '/events', { event_type: 'task.progressed', aggregate_id: newId(), payload })).status).toBe(201);
    expect(await waitUntil(async () => (await delivered()) === 4, 5_000)).toBe(true);

    const aggregateId = newId();
    const { body } = await postJson(t.app, '/events/batch', { events: [1, 2].map(() => ({ event_type: 'task.progressed', aggregate_id: aggregateId })) });
    expect(await waitUntil(async () => (await streamEntries(redis, t.channelPrefix, 'task')).some((e) => e.position === body.events[1].position), 5_000)).toBe(true);
    // What Redis holds after a read whose reply was lost: the entry delivered to c1, the group moved past it.
    const lost = (await redis.xreadgroup('GROUP', 'g1', 'c1', 'COUNT', 1, 'STREAMS', key, '>')) as [string, [string, string[]][]][];
    expect(lost[0]![1].map(([id]) => id)).toEqual([`${body.events[0].position}-0`]);
    open();

    expect(await waitUntil(() => c.recorder.handled.filter((e) => e.aggregate_id === aggregateId).length === 2, 5_000)).toBe(true);
    expect(firstSeenOutOfOrder(c.recorder)).toEqual([]);
    expect(c.recorder.handled.filter((e) => e.aggregate_id === aggregateId).map((e) => e.sequence)).toEqual([1, 2]);
  });

  it('refuses bad options with an error naming them', async () => {
    const base = { redisUrl: testRedisUrl, reader: async () => ({ events: [], nextAfter: null }), group: 'g', consumer: 'c', aggregateTypes: ['task'], handler: () => {} };
    const cases: [object, RegExp][] = [
      [{ group: 'bad name' }, /group must match/],
      [{ group: '' }, /group must match/],
      [{ consumer: 'a:b' }, /consumer must match/],
      [{ consumer: 'x'.repeat(65) }, /consumer must match/],
      [{ concurrency: 0 }, /concurrency must be a whole number from 1/],
      [{ concurrency: -3 }, /concurrency must be/],
      [{ concurrency: 1.5 }, /concurrency must be/],
      [{ aggregateTypes: [] }, /aggregateTypes must name at least one/],
      [{ aggregateTypes: ['Task*'] }, /is not an aggregate type/],
      [{ start: 'middle' }, /start must be/],
      [{ maxAttempts: 0 }, /maxAttempts must be/],
      [{ handlerTimeoutMs: -1 }, /handlerTimeoutMs must be/],
      [{ redisUrl: undefined }, /exactly one of redisUrl .* and redisClusterNodes/],
      [{ redisClusterNodes: ['127.0.0.1:7000'] }, /exactly one of redisUrl .* and redisClusterNodes/],
      [{ redisUrl: undefined, redisClusterNodes: [] }, /redisClusterNodes: expected at least one host:port/],
      [{ redisUrl: undefined, redisClusterNodes: '127.0.0.1:7000,localhost' }, /redisClusterNodes: expected host:port, got "localhost"/],
    ];
    for (const [bad, message] of cases) {
      const attempt = consume({ ...base, ...bad } as never);
      await expect(attempt).rejects.toBeInstanceOf(ConsumeOptionsError);
      await expect(attempt).rejects.toThrow(message);
    }
  });


  it('competing consumers of one group share the events, each handled once, and a stopped one leaves the group', async () => {
    const t = await service();
    const shared = record();
    const one = await startConsumer(t, { redisUrl: testRedisUrl, consumer: 'one', start: 'beginning', claimIdleMs: 10_000, handler: () => sleep(1) }, shared);
    const two = await startConsumer(t, { redisUrl: testRedisUrl, consumer: 'two', start: 'beginning', claimIdleMs: 10_000, handler: () => sleep(1) }, shared);
    cleanup.push(() => one.stop(), () => two.stop());
    const { stored } = await appendSpread(t, 40, 5);
    expect(await waitUntil(() => shared.handled.length >= 200, 15_000)).toBe(true);
    await sleep(200);
    expect(shared.handled.length).toBe(200);
    expect(shared.ids()).toEqual(new Set(stored.map((e) => e.id)));
    expect(one.stats().handled).toBeGreaterThan(0);
    expect(two.stats().handled).toBeGreaterThan(0);
    await one.stop();
    const consumers = (await redis.xinfo('CONSUMERS', eventsStreamKey(t.channelPrefix, 'task'), 'g1')) as string[][];
    expect(consumers.map((c) => c[1])).toEqual(['two']);
  });

  it('stop() lets running handlers finish and acknowledges them; what it had not started another consumer takes at once', async () => {
    const t = await service();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const started: string[] = [];
    const slow = await startConsumer(t, { redisUrl: testRedisUrl, consumer: 'slow', concurrency: 2, start: 'beginning', claimIdleMs: 60_000, handler: (e) => {
      started.push(e.id);
      return gate;
    } });
    const { stored } = await appendSpread(t, 6, 2);
    expect(await waitUntil(() => started.length === 2)).toBe(true);
    const stopping = slow.stop();
    await sleep(100);
    release();
    await stopping;
    expect(new Set(slow.recorder.handled.map((e) => e.id))).toEqual(new Set(started));
    const stillPending = (await redis.xpending(eventsStreamKey(t.channelPrefix, 'task'), 'g1', '-', '+', 100)) as [string][];
    const startedIds = new Set(stored.filter((e) => started.includes(e.id)).map((e) => `${e.position}-0`));
    expect(stillPending.length).toBe(10);
    expect(stillPending.filter(([id]) => startedIds.has(id))).toEqual([]);
    const other = await startConsumer(t, { redisUrl: testRedisUrl, consumer: 'other', start: 'beginning', claimIdleMs: 60_000 });
    cleanup.push(() => other.stop());
    const rest = stored.filter((e) => !started.includes(e.id)).map((e) => e.id);
    expect(await waitUntil(() => rest.every((id) => other.recorder.ids().has(id)), 10_000)).toBe(true);
    expect(started.some((id) => other.recorder.ids().has(id))).toBe(false);
  });
});

