import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/events/event.ts';
import { eventsChannel } from '../../src/events/channels.ts';
import { freePort } from '../../src/postgres/free-port.ts';
import { storeEventReader } from '../../src/store/store-reader.ts';
import { subscribe } from '../../src/client/subscribe.ts';
import { closeAfterEach } from '../support/cleanup.ts';
import { newId, postJson } from '../support/http.ts';
import { hasRedisServer, privateRedis } from '../support/private-redis.ts';
import { startTestService } from '../support/service.ts';
import { waitUntil } from '../support/wait.ts';

const cleanup = closeAfterEach();

// The service's relay cannot reach the subscriber's Redis: the test publishes the stored
// events there itself, as the relay would (the stored bytes, in position order), leaving out
// the one message it chooses to lose.
describe.skipIf(!hasRedisServer)('a type-filtered subscriber and a lost message', () => {
  it('still delivers the lost first event of a new aggregate, in position order', async () => {
    const server = privateRedis(await freePort());
    await server.start();
    cleanup.push(() => server.stop());
    const t = await startTestService({ REDIS_URL: 'redis://127.0.0.1:1' });
    cleanup.push(() => t.close());
    const publisher = new Redis(server.url);
    cleanup.push(async () => publisher.disconnect());
    const publish = async (events: StoredEvent[]) => {
      for (const e of events) {
        const [row] = await t.sql<{ json: string }[]>`select event_json(e) as json from events e where id = ${e.id}`;
        const json = row!.json;
        await publisher.publish(eventsChannel(t.channelPrefix, e.aggregate_type), json);
      }
    };
    const append = async (type: string, aggregateId: string = newId()) => (await postJson(t.app, '/events', { event_type: `${type}.noted`, aggregate_id: aggregateId })).body as StoredEvent;

    const seen: StoredEvent[] = [];
    const sub = await subscribe({ redisUrl: server.url, channelPrefix: t.channelPrefix, aggregateTypes: ['task'], reader: storeEventReader(t.sql), onEvent: (e) => void seen.push(e) });
    cleanup.push(() => sub.close());
    // Past the first catch-up: from here on, only a detected loss reads the store.
    const first = await append('task');
    await publish([first]);
    expect(await waitUntil(() => seen.length === 1)).toBe(true);

    const a = first.aggregate_id;
    const events = [await append('agent'), await append('task'), await append('agent'), await append('task', a), await append('task')];
    const lost = events[1]!; // the first event of a new task aggregate
    await publish(events.filter((e) => e !== lost));
    const tasks = [first, ...events.filter((e) => e.aggregate_type === 'task')];
    expect(await waitUntil(() => seen.length === tasks.length, 5000)).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(seen.map((e) => e.id)).toEqual(tasks.map((e) => e.id));
    expect(seen.map((e) => e.position)).toEqual([...seen.map((e) => e.position)].sort((x, y) => x - y));
  });
});
