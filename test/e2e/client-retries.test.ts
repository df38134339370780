import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { createEventClient } from '../../src/client/client.ts';
import { AppendOutcomeUnknownError, EventServiceError } from '../../src/client/problems.ts';
import { httpEventReader } from '../../src/client/http-reader.ts';
import { subscribe } from '../../src/client/subscribe.ts';
import { freePort } from '../../src/postgres/free-port.ts';
import { testRedisUrl } from '../support/env.ts';
import { newId } from '../support/http.ts';
import { startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { waitUntil } from '../support/wait.ts';

// The client's retries (README, API description and client): what it resends, how long it
// waits, and that a resend never stores an event twice, against a real service and faults.

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f().catch(() => {});
});

async function service(env: Record<string, string> = {}, url?: string): Promise<TestService> {
  const t = await startTestService(env, url, { migrate: url !== undefined });
  cleanup.push(() => t.close());
  return t;
}

/** fetch through the service's app (no port), recording each request's method and body. */
function recorded(t: TestService) {
  const sent: { method: string; body: unknown }[] = [];
  const fetch = ((url: string, init: RequestInit = {}) => {
    sent.push({ method: init.method ?? 'GET', body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined });
    return t.app.request(url, init);
  }) as typeof globalThis.fetch;
  return { sent, fetch };
}

describe('the client against a service whose database goes silent', () => {
  let pg: PrivatePostgres;
  let proxy: TcpProxy;
  beforeAll(async () => {
    pg = await startPrivatePostgres();
    cleanup.push(() => pg.stop());
    proxy = await startTcpProxy({ port: Number(new URL(pg.url).port) });
    cleanup.push(() => proxy.close());
  });

  it('resends an append that timed out with the id it made for it, and the event is stored once', async () => {
    const t = await service({}, pg.url.replace(/:\d+\//, `:${proxy.port}/`));
    const baseUrl = `http://127.0.0.1:${(await t.service.listen()).port}`;
    const errors: unknown[] = [];
    const client = createEventClient({ baseUrl, timeoutMs: 300, retries: 40, retryDelay: { initialMs: 50, maxMs: 200 }, onRetry: ({ error }) => errors.push(error) });
    const aggregateId = newId();
    await client.append({ event_type: 'task.created', aggregate_id: aggregateId });

    proxy.blackhole();
    const restored = new Promise((r) => setTimeout(r, 1500)).then(() => proxy.restore());
    const { event, created } = await client.append({ event_type: 'task.started', aggregate_id: aggregateId });
    await restored;

    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect((e as Error).name === 'TimeoutError' || (e instanceof EventServiceError && e.status === 503), String(e)).toBe(true);
    // Stored by the first attempt (held in the silent network, then let through) or by a resend: either way, this call's.
    expect(created).toBe(true);
    expect(event).toMatchObject({ event_type: 'task.started', sequence: 2 });
    const rows = await t.sql<{ id: string }[]>`select id::text from events where aggregate_id = ${aggregateId} order by position`;
    expect(rows.map((r) => r.id)).toEqual([expect.any(String), event.id]);
  }, 60_000);
});

describe('the client against a rate limit', () => {
  it('waits as long as Retry-After says, then appends', async () => {
    const t = await service({ API_KEYS: 'client-retries-key:read+write', RATE_LIMIT_PER_SECOND: '1' });
    const { sent, fetch } = recorded(t);
    const retried: { delayMs: number; error: unknown }[] = [];
    const client = createEventClient({ baseUrl: 'http://service', apiKey: 'client-retries-key', fetch, retryDelay: { initialMs: 10, maxMs: 5_000 }, onRetry: (r) => retried.push(r) });
    const aggregateId = newId();
    // A burst of two, then the bucket is empty: the next append within a second waits.
    let appended = 0;
    while (retried.length === 0 && appended < 10) {
      expect((await client.append({ event_type: 'task.noted', aggregate_id: aggregateId })).created).toBe(true);
      appended++;
    }
    expect(retried).toHaveLength(1);
    expect(retried[0]!.error).toBeInstanceOf(EventServiceError);
    expect((retried[0]!.error as EventServiceError).status).toBe(429);
    expect(retried[0]!.delayMs).toBe(1000);
    expect(sent).toHaveLength(appended + 1);
    expect(sent.at(-1)!.body).toEqual(sent.at(-2)!.body);
    expect((await client.query({ aggregate_id: aggregateId })).events).toHaveLength(appended);
  });
});

describe('the client', () => {
  let t: TestService;
  beforeAll(async () => {
    t = await service();
  });

  it('sends every appended event with an id, its own or a UUIDv7 it makes', async () => {
    const { sent, fetch } = recorded(t);
    const client = createEventClient({ baseUrl: 'http://service', fetch });
    const aggregateId = newId();
    const own = newId();
    const one = await client.append({ event_type: 'task.created', aggregate_id: aggregateId });
    const batch = await client.appendBatch([{ id: own, event_type: 'task.noted', aggregate_id: aggregateId }, { event_type: 'task.noted', aggregate_id: aggregateId }]);
    const ids = sent.flatMap((s) => ((s.body as { events?: { id: string }[] }).events ?? [s.body as { id: string }]).map((e) => e.id));
    expect(ids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ids[1]).toBe(own);
    expect(ids).toEqual([one.event.id, ...batch.events.map((e) => e.id)]);
  });

  it('does not resend what the service refused (409, 422, 404)', async () => {
    const { sent, fetch } = recorded(t);
    const retried: unknown[] = [];
    const client = createEventClient({ baseUrl: 'http://service', fetch, retryDelay: { initialMs: 1 }, onRetry: (r) => retried.push(r) });
    const aggregateId = newId();
    await client.append({ event_type: 'task.created', aggregate_id: aggregateId });
    await expect(client.append({ event_type: 'task.created', aggregate_id: aggregateId, expected_sequence: 0 })).rejects.toMatchObject({ status: 409 });
    await expect(client.append({ event_type: 'not a type', aggregate_id: aggregateId })).rejects.toMatchObject({ status: 422 });
    expect(await client.get(newId())).toBeUndefined();
    expect(sent).toHaveLength(4);
    expect(retried).toEqual([]);
  });

  it('gives up after `retries` resends when nothing answers, with the last error', async () => {
    const retried: number[] = [];
    const client = createEventClient({ baseUrl: `http://127.0.0.1:${await freePort()}`, retries: 2, retryDelay: { initialMs: 10, maxMs: 20 }, onRetry: (r) => retried.push(r.delayMs) });
    await expect(client.query({ limit: 1 })).rejects.toThrow(TypeError);
    expect(retried).toHaveLength(2);
    for (const ms of retried) expect(ms).toBeGreaterThanOrEqual(5);
  });

  it('gives up on an append whose answers were lost with the ids it sent, and a resend with them stores nothing twice', async () => {
    // Each attempt reaches the service and is stored, then its answer is lost on the way back.
    const lost = (async (url: string, init: RequestInit) => {
      await t.app.request(url, init);
      throw new TypeError('fetch failed');
    }) as typeof fetch;
    const client = createEventClient({ baseUrl: 'http://service', fetch: lost, retries: 1, retryDelay: { initialMs: 1 } });
    const aggregateId = newId();
    const own = newId();
    const failure = await client.appendBatch([{ event_type: 'task.created', aggregate_id: aggregateId }, { id: own, event_type: 'task.noted', aggregate_id: aggregateId }]).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(AppendOutcomeUnknownError);
    const { ids, attempts, cause } = failure as AppendOutcomeUnknownError;
    expect([ids[1], attempts, (cause as Error).message]).toEqual([own, 2, 'fetch failed']);
    const single = (await client.append({ event_type: 'task.noted', aggregate_id: aggregateId }).catch((e: unknown) => e)) as AppendOutcomeUnknownError;
    expect(single.ids).toHaveLength(1);

    const resent = createEventClient({ baseUrl: 'http://service', fetch: recorded(t).fetch });
    expect((await resent.appendBatch([{ id: ids[0], event_type: 'task.created', aggregate_id: aggregateId }, { id: own, event_type: 'task.noted', aggregate_id: aggregateId }])).created).toBe(false);
    expect((await resent.append({ id: single.ids[0], event_type: 'task.noted', aggregate_id: aggregateId })).created).toBe(false);
    const rows = await t.sql<{ id: string }[]>`select id::text from events where aggregate_id = ${aggregateId} order by position`;
    expect(rows.map((r) => r.id)).toEqual([ids[0], own, single.ids[0]]);
  });

  it('throws refusals as EventServiceError with the problem filled in, whatever the body, from the client and the reader', async () => {
    const answering = (body: string, status: number) => (async () => new Response(body, { status, headers: { 'content-type': 'application/json' } })) as unknown as typeof fetch;
    for (const body of ['{"error":"nope"}', 'null', '[1]', '<html>']) {
      const failure = await createEventClient({ baseUrl: 'http://service', fetch: answering(body, 400) }).query().catch((e: unknown) => e);
      expect(failure, body).toBeInstanceOf(EventServiceError);
      expect((failure as EventServiceError).problem, body).toMatchObject({ type: 'about:blank', status: 400, title: expect.any(String), detail: body });
    }
    const reader = httpEventReader('http://service', { fetch: ((url: string, init: RequestInit) => t.app.request(url, init)) as typeof fetch });
    const refused = (await reader(0, 10, 'Not A Type').catch((e: unknown) => e)) as EventServiceError;
    expect(refused).toBeInstanceOf(EventServiceError);
    expect([refused.status, refused.problem.type, refused.problem.errors?.[0]?.pointer]).toEqual([400, '/problems/malformed-request', '/aggregate_type']);
  });

  it('refuses options out of range, naming them', () => {
    expect(() => createEventClient({ baseUrl: 'http://service', retries: -1 })).toThrow(/retries must be a whole number from 0/);
    expect(() => createEventClient({ baseUrl: 'http://service', timeoutMs: 1.5 })).toThrow(/timeoutMs/);
    expect(() => createEventClient({ baseUrl: 'http://service', retryDelay: { initialMs: 0 } })).toThrow(/retryDelay.initialMs/);
  });

  it('fails an attempt, and a catch-up page, that does not come within timeoutMs', async () => {
    const open = new Set<Socket>();
    const silent = createServer((socket) => open.add(socket)); // takes the connection, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const baseUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const started = performance.now();
      await expect(createEventClient({ baseUrl, timeoutMs: 200, retries: 1, retryDelay: { initialMs: 10 } }).get(newId())).rejects.toMatchObject({ name: 'TimeoutError' });
      await expect(httpEventReader(baseUrl, { timeoutMs: 200 })(0, 10)).rejects.toMatchObject({ name: 'TimeoutError' });
      expect(performance.now() - started).toBeLessThan(10_000);

      // close() ends a catch-up read in progress instead of waiting out its timeout (30 s here).
      const errors: unknown[] = [];
      const subscription = await subscribe({ redisUrl: testRedisUrl, channelPrefix: `client-retries-${newId()}:`, reader: httpEventReader(baseUrl), onEvent: () => {}, onError: (e) => errors.push(e) });
      await new Promise((r) => setTimeout(r, 300));
      const closing = performance.now();
      await subscription.close();
      expect(performance.now() - closing).toBeLessThan(10_000);
      expect(errors).toEqual([]);

      // Closed by its own onError (README: close the subscription to stop on a refusal): no pause waited out.
      let failures = 0;
      let closedAt = 0;
      const refusing = await subscribe({
        redisUrl: testRedisUrl, channelPrefix: `client-retries-${newId()}:`, onEvent: () => {},
        reader: async () => Promise.reject(new Error('refused')),
        onError: () => {
          if (++failures === 4) {
            closedAt = performance.now();
            void refusing.close();
          }
        },
      });
      expect(await waitUntil(() => failures >= 4, 15_000)).toBe(true);
      await refusing.close();
      expect(performance.now() - closedAt).toBeLessThan(1_000);
    } finally {
      for (const socket of open) socket.destroy();
      silent.close();
    }
  });
});
