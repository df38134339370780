import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventService } from '../../src/event-service.ts';
import { testRedisUrl } from '../support/env.ts';
import { get, newId, postJson } from '../support/http.ts';
import { freePort } from '../../src/postgres/free-port.ts';
import { createTestDatabase, newChannelPrefix, startTestService, type TestService } from '../support/service.ts';
import { readSse } from '../support/sse.ts';

let t: TestService;
beforeAll(async () => {
  t = await startTestService({ SSE_HEARTBEAT_MS: '300' });
});
afterAll(() => t.close());

const append = async (event_type: string, aggregate_id = newId()) => (await postJson(t.app, '/events', { event_type, aggregate_id })).body;
const open = (qs: string, headers: Record<string, string> = {}) => t.app.request(`/events/stream${qs}`, { headers });

describe('GET /events/stream', () => {
  it('catches up from after=, then delivers new events live, with id = position', async () => {
    const before = (await get(t.app, '/health')).body.head_position;
    const a = await append('agent.created');
    const b = await append('task.created');
    const res = await open(`?after=${before}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const sse = readSse(res);
    expect(await sse.waitFor(() => sse.messages().length === 2)).toBe(true);
    const c = await append('agent.updated');
    expect(await sse.waitFor(() => sse.messages().length === 3)).toBe(true);
    await sse.close();
    expect(sse.messages().map((m) => m.id)).toEqual([a.position, b.position, c.position]);
    expect(sse.messages().map((m) => m.event.id)).toEqual([a.id, b.id, c.id]);
    expect(JSON.stringify(sse.messages()[2]!.event)).toBe((await get(t.app, `/events/${c.id}`)).text);
  });

  it('resumes after the Last-Event-ID header', async () => {
    const a = await append('agent.created');
    const b = await append('agent.created');
    const sse = readSse(await open('', { 'last-event-id': String(a.position) }));
    expect(await sse.waitFor(() => sse.messages().length >= 1)).toBe(true);
    await sse.close();
    expect(sse.messages()[0]!.event.id).toBe(b.id);
  });

  it('starts at the current head without after=, and applies the filters of GET /events', async () => {
    await append('agent.created');
    const aggregateId = newId();
    const sse = readSse(await open(`?aggregate_type=task&aggregate_id=${aggregateId}`));
    await new Promise((r) => setTimeout(r, 100));
    await append('task.created');
    const mine = await append('task.created', aggregateId);
    await append('agent.created', aggregateId);
    const mine2 = await append('task.completed', aggregateId);
    expect(await sse.waitFor(() => sse.messages().length === 2)).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    await sse.close();
    expect(sse.messages().map((m) => m.event.id)).toEqual([mine.id, mine2.id]);
  });

  it('sends heartbeats while idle', async () => {
    const sse = readSse(await open(''));
    expect(await sse.waitFor(() => sse.events.some((e) => e.comment === 'heartbeat'), 3000)).toBe(true);
    await sse.close();
  });

  it('pages through a long catch-up in order', async () => {
    const before = (await get(t.app, '/health')).body.head_position;
    const events = Array.from({ length: 350 }, () => ({ event_type: 'run.stepped', aggregate_id: newId() }));
    const stored = (await postJson(t.app, '/events/batch', { events })).body.events;
    const sse = readSse(await open(`?after=${before}&event_type=run.stepped`));
    expect(await sse.waitFor(() => sse.messages().length === 350)).toBe(true);
    await sse.close();
    expect(sse.messages().map((m) => m.event.id)).toEqual(stored.map((e: { id: string }) => e.id));
  });

  it('many readers following at once, with and without filters, each get every matching event once, in order', async () => {
    const readers = await Promise.all(Array.from({ length: 24 }, async (_, i) => ({ filtered: i % 2 === 0, sse: readSse(await open(i % 2 === 0 ? '?aggregate_type=crowd' : '')) })));
    await Promise.all(readers.map((r) => r.sse.waitFor(() => r.sse.events.length > 0)));
    const appended = (await Promise.all(Array.from({ length: 8 }, async () => {
      const mine = [];
      for (let i = 0; i < 15; i++) mine.push(await append(i % 3 === 0 ? 'other.created' : 'crowd.created', newId()));
      return mine;
    }))).flat().sort((a, b) => a.position - b.position);
    const crowd = appended.filter((e) => e.event_type === 'crowd.created').map((e) => e.position);
    const all = appended.map((e) => e.position);
    for (const r of readers) {
      const wanted = r.filtered ? crowd : all;
      expect(await r.sse.waitFor(() => r.sse.messages().filter((m) => m.id >= wanted[0]!).length >= wanted.length)).toBe(true);
      await r.sse.close();
      expect(r.sse.messages().map((m) => m.id).filter((p) => p >= wanted[0]!)).toEqual(wanted);
    }
  });

  it('refuses bad filters, a bad Last-Event-ID and paging parameters with 400', async () => {
    for (const qs of ['?aggregate_type=*', '?limit=5', '?order=desc', '?after=x', '?nope=1']) {
      const res = await open(qs);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    }
    expect((await open('', { 'last-event-id': 'abc' })).status).toBe(400);
  });
});

describe('GET /events/stream on a graceful shutdown', () => {
  // A service of its own, over the network, given 10 s to stop.
  const listening = async () => {
    const events = await createEventService({
      env: {
        DATABASE_URL: await createTestDatabase(), REDIS_URL: testRedisUrl, REDIS_CHANNEL_PREFIX: newChannelPrefix(),
        HOST: '127.0.0.1', PORT: String(await freePort()), LOG_LEVEL: 'silent', SHUTDOWN_TIMEOUT_MS: '10000',
      },
    });
    return { events, port: (await events.listen()).port };
  };

  it('open streams end at once, so stopping does not wait SHUTDOWN_TIMEOUT_MS for their clients', async () => {
    const { events, port } = await listening();
    const streams = await Promise.all(['?after=0', ''].map(async (qs) => readSse(await fetch(`http://127.0.0.1:${port}/events/stream${qs}`))));
    for (const s of streams) expect(await s.waitFor(() => s.events.some((e) => e.comment === 'connected'))).toBe(true);

    const started = Date.now();
    await events.close();
    const took = Date.now() - started;
    for (const s of streams) expect(await s.waitFor(() => s.ended, 1000)).toBe(true);
    expect(took).toBeLessThan(3000);
  });

  it('a stream whose client stopped reading is cut, so it does not hold the stop for SHUTDOWN_TIMEOUT_MS either', async () => {
    const { events, port } = await listening();
    // About 8 MB of history, far more than the socket buffers between the two ends hold.
    const pad = 'x'.repeat(1600);
    for (let batch = 0; batch < 10; batch++) {
      const res = await fetch(`http://127.0.0.1:${port}/events/batch`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ events: Array.from({ length: 500 }, () => ({ event_type: 'agent.noted', aggregate_id: newId(), payload: { pad } })) }),
      });
      expect(res.status).toBe(201);
    }
    // A client that sends its request and then reads nothing: the stream's writes stall once the buffers are full.
    const socket = connect(port, '127.0.0.1');
    let received = 0;
    let reading = false;
    socket.on('data', (chunk) => {
      received += chunk.length;
      if (!reading) socket.pause();
    });
    socket.write(`GET /events/stream?after=0 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => {});
    await new Promise((r) => setTimeout(r, 1000));
    expect(received).toBeGreaterThan(0);

    const started = Date.now();
    await events.close();
    const took = Date.now() - started;
    // The server closed the connection: read what is left to see its end.
    reading = true;
    socket.resume();
    await closed;
    socket.destroy();
    expect(took).toBeLessThan(5000);
  });
});
