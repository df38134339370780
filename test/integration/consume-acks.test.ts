import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/events/event.ts';
import { createAcks, eventJob, type StreamState } from '../../src/client/consume-jobs.ts';
import type { ResolvedConsumeOptions } from '../../src/client/consume-options.ts';
import { connected, createConsumerConnections, groupKeys } from '../../src/client/consume-redis.ts';
import { testRedisUrl } from '../support/env.ts';
import { newChannelPrefix } from '../support/service.ts';
import { deleteKeys } from '../support/streams.ts';
import { waitUntil } from '../support/wait.ts';

const redis = createConsumerConnections({ url: testRedisUrl }, 0).commands; // consume()'s command connection, its scripts defined
beforeAll(() => connected(redis, 5_000, { url: testRedisUrl }));
const prefix = newChannelPrefix();
afterAll(async () => {
  await deleteKeys(prefix);
  redis.disconnect();
});

/** What createAcks reads of the options: consumer c of group g. */
const options = (errors: unknown[]) => ({ group: 'g', consumer: 'c', onError: (e: unknown) => void errors.push(e) }) as Partial<ResolvedConsumeOptions> as ResolvedConsumeOptions;

describe("consume()'s acknowledgements", () => {
  it('an entry handled while an XACK is in flight is acknowledged right after it, with no later entry to carry it', async () => {
    const s: StreamState = { keys: groupKeys(prefix, 'task', 'g'), ready: true, pausedUntil: 0 };
    await redis.xgroup('CREATE', s.keys.stream, 'g', '0', 'MKSTREAM');
    for (const id of ['1-0', '2-0']) await redis.xadd(s.keys.stream, id, 'event', '{}');
    await redis.xreadgroup('GROUP', 'g', 'c', 'STREAMS', s.keys.stream, '>');
    const errors: unknown[] = [];
    const acks = createAcks(options(errors), redis, () => true);
    const job = (position: number) => eventJob(s, 'stream', { aggregate_id: 'a', position } as StoredEvent, `${position}-0`);
    acks.add(job(1));
    await new Promise((r) => setImmediate(r)); // the first XACK leaves and waits for its reply
    acks.add(job(2));
    const pending = async () => ((await redis.xpending(s.keys.stream, 'g')) as [number])[0];
    expect(await waitUntil(async () => (await pending()) === 0, 5_000)).toBe(true);
    expect(errors).toEqual([]);
  });

  it("a handler's start sets its entry's delivery count to the starts + 1, after the acknowledgements waiting; entries read ahead stay at 1, and one gone from the stream stays pending", async () => {
    const s: StreamState = { keys: groupKeys(prefix, 'agent', 'g'), ready: true, pausedUntil: 0 };
    await redis.xgroup('CREATE', s.keys.stream, 'g', '0', 'MKSTREAM');
    for (const id of ['1-0', '2-0', '3-0', '4-0', '5-0']) await redis.xadd(s.keys.stream, id, 'event', '{}');
    await redis.xreadgroup('GROUP', 'g', 'c', 'STREAMS', s.keys.stream, '>');
    await redis.xdel(s.keys.stream, '5-0'); // gone from the stream while held: claiming it would drop it from the pending list
    const errors: unknown[] = [];
    const acks = createAcks(options(errors), redis, () => true);
    const job = (position: number, attempts = 0) => eventJob(s, 'stream', { aggregate_id: `a${position}`, position } as StoredEvent, `${position}-0`, attempts);
    acks.add(job(1));
    acks.beforeStart([job(2), job(3, 2), job(5)]);
    await acks.flushed();
    const counts = ((await redis.xpending(s.keys.stream, 'g', '-', '+', 10)) as [string, string, number, number][]).map(([id, , , count]) => [id, count]);
    expect(counts).toEqual([['2-0', 2], ['3-0', 4], ['4-0', 1], ['5-0', 1]]);
    expect(errors).toEqual([]);
  });

  it('entries of a read whose reply was lost, read again, keep their delivery counts (tries), and one deleted meanwhile stays pending', async () => {
    const s: StreamState = { keys: groupKeys(prefix, 'plan', 'g'), ready: true, pausedUntil: 0 };
    await redis.xgroup('CREATE', s.keys.stream, 'g', '0', 'MKSTREAM');
    for (const id of ['1-0', '2-0', '3-0', '4-0']) await redis.xadd(s.keys.stream, id, 'event', '{}');
    await redis.xreadgroup('GROUP', 'g', 'c', 'COUNT', 1, 'STREAMS', s.keys.stream, '>'); // received: c has read up to 1-0
    await redis.xreadgroup('GROUP', 'g', 'c', 'COUNT', 2, 'STREAMS', s.keys.stream, '>'); // its reply lost: 2-0 and 3-0
    await redis.xdel(s.keys.stream, '3-0');
    const reply = (await redis.readGroup(s.keys.stream, 'g', 'c', 10, '1-0')) as [string, string, [string, string[] | null][]];
    expect(reply[2].map(([id]) => id)).toEqual(['2-0', '3-0', '4-0']);
    const counts = ((await redis.xpending(s.keys.stream, 'g', '-', '+', 10)) as [string, string, number, number][]).map(([id, , , count]) => [id, count]);
    expect(counts).toEqual([['1-0', 1], ['2-0', 1], ['3-0', 1], ['4-0', 1]]);
  });
});
