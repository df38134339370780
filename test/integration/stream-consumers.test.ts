import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { eventsStreamKey } from '../../src/events/stream-keys.ts';
import { closeAfterEach } from '../support/cleanup.ts';
import { testRedisUrl } from '../support/env.ts';
import { newId, postJson } from '../support/http.ts';
import { startTestService } from '../support/service.ts';
import { deleteKeys } from '../support/streams.ts';

const cleanup = closeAfterEach();

type Reply = [string, [string, string[]][]][] | null;

// What any Redis client does with the mirror: plain XREADGROUP, XACK, XAUTOCLAIM.
describe('plain Redis consumers of the mirror', () => {
  it('competing XREADGROUP consumers each get a share, every event is acknowledged once, and a dead consumer\'s entries are reclaimed', async () => {
    const t = await startTestService({ REDIS_STREAMS: 'on' });
    cleanup.push(async () => (await t.close(), await deleteKeys(t.channelPrefix)));
    const key = eventsStreamKey(t.channelPrefix, 'task');
    const clients = Array.from({ length: 3 }, () => new Redis(testRedisUrl));
    cleanup.push(async () => clients.forEach((c) => c.disconnect()));
    const [a, b, dead] = clients as [Redis, Redis, Redis];
    await a.xgroup('CREATE', key, 'plain', '0', 'MKSTREAM');

    const events = Array.from({ length: 100 }, (_, i) => ({ event_type: 'task.progressed', aggregate_id: newId(), payload: { i } }));
    const stored = (await postJson(t.app, '/events/batch', { events })).body.events as { id: string; position: number }[];

    // A consumer that reads ten entries and dies without acknowledging them.
    const lost = ((await dead.xreadgroup('GROUP', 'plain', 'dead', 'COUNT', 10, 'BLOCK', 5000, 'STREAMS', key, '>')) as Reply)![0]![1];
    expect(lost).toHaveLength(10);
    dead.disconnect();

    const acked = new Map<string, string[]>([['a', []], ['b', []]]);
    const run = async (client: Redis, name: string) => {
      for (;;) {
        const reply = (await client.xreadgroup('GROUP', 'plain', name, 'COUNT', 7, 'BLOCK', 300, 'STREAMS', key, '>')) as Reply;
        const entries = reply?.[0]?.[1] ?? [];
        if (entries.length === 0) return;
        for (const [id] of entries) {
          await client.xack(key, 'plain', id);
          acked.get(name)!.push(id);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    await Promise.all([run(a, 'a'), run(b, 'b')]);
    expect(acked.get('a')!.length).toBeGreaterThan(0);
    expect(acked.get('b')!.length).toBeGreaterThan(0);
    expect(acked.get('a')!.length + acked.get('b')!.length).toBe(90);

    // The dead consumer's entries, idle past 200 ms, are taken over.
    await new Promise((r) => setTimeout(r, 250));
    const [, claimed] = (await a.xautoclaim(key, 'plain', 'a', 200, '0-0', 'COUNT', 100)) as [string, [string, string[]][]];
    expect(claimed.map(([id]) => id)).toEqual(lost.map(([id]) => id));
    await a.xack(key, 'plain', ...claimed.map(([id]) => id));
    expect(((await a.xpending(key, 'plain')) as [number])[0]).toBe(0);

    const all = [...acked.get('a')!, ...acked.get('b')!, ...claimed.map(([id]) => id)];
    expect(new Set(all).size).toBe(100);
    expect(all.sort((x, y) => parseInt(x) - parseInt(y))).toEqual(stored.map((e) => `${e.position}-0`));
  });
});
