import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventClient } from '../../src/client/client.ts';
import { EventServiceError } from '../../src/client/problems.ts';
import { httpEventReader } from '../../src/client/http-reader.ts';
import { newId } from '../support/http.ts';
import { startTestService, type TestService } from '../support/service.ts';

// The typed client. The document itself: openapi-document.test.ts and openapi-contract.test.ts.

let t: TestService;
beforeAll(async () => {
  t = await startTestService();
});
afterAll(() => t.close());

describe('createEventClient', () => {
  const client = () => createEventClient({ baseUrl: 'http://service', fetch: ((url: string, init?: RequestInit) => t.app.request(url, init)) as typeof fetch });

  it('appends, resends idempotently, gets, queries and pages through all', async () => {
    const c = client();
    const aggregateId = newId();
    const id = newId();
    const first = await c.append({ id, event_type: 'agent.created', aggregate_id: aggregateId, payload: { name: 'a' } });
    expect(first.created).toBe(true);
    expect((await c.append({ id, event_type: 'agent.created', aggregate_id: aggregateId, payload: { name: 'a' } })).created).toBe(false);
    const batch = await c.appendBatch(Array.from({ length: 5 }, () => ({ event_type: 'agent.noted', aggregate_id: aggregateId })));
    expect(batch.events.map((e) => e.sequence)).toEqual([2, 3, 4, 5, 6]);
    expect((await c.get(id))?.payload).toEqual({ name: 'a' });
    expect(await c.get(newId())).toBeUndefined();
    expect((await c.query({ aggregate_id: aggregateId, limit: 2 })).next_after).not.toBeNull();
    const all = [];
    const { all: pages } = c; // a method taken off the client works as well
    for await (const e of pages({ aggregate_id: aggregateId }, 2)) all.push(e.sequence);
    expect(all).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await c.aggregate('agent', aggregateId)).sequence).toBe(6);
    expect((await c.aggregate('agent', aggregateId, { atSequence: 2 })).sequence).toBe(2);
    expect((await c.putSnapshot('agent', aggregateId, { sequence: 6, schema_version: 1, state: { n: 6 } })).stored).toBe(true);
    const snapshot = await c.getSnapshot('agent', aggregateId, 1);
    expect(snapshot).toEqual({ aggregate_type: 'agent', aggregate_id: aggregateId, schema_version: 1, sequence: 6, state: { n: 6 }, created_at: snapshot.created_at });
    expect(snapshot.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
  });

  it('sends an id as one path segment, never to another route', async () => {
    const urls: string[] = [];
    const c = createEventClient({ baseUrl: 'http://service', fetch: ((url: string, init?: RequestInit) => (urls.push(url), t.app.request(url, init))) as typeof fetch });
    for (const id of ['?limit=1', '../health', 'a/b#c']) {
      await expect(c.get(id)).rejects.toMatchObject({ status: 400, problem: { type: '/problems/malformed-request' } });
    }
    expect(urls).toEqual(['http://service/events/%3Flimit%3D1', 'http://service/events/..%2Fhealth', 'http://service/events/a%2Fb%23c']);
    for (const id of ['', '.', '..']) await expect(c.aggregate('agent', id)).rejects.toThrow(TypeError);
  });

  it('raises problems as EventServiceError with the problem body', async () => {
    const c = client();
    const aggregateId = newId();
    await c.append({ event_type: 'agent.created', aggregate_id: aggregateId });
    const error = await c.append({ event_type: 'agent.created', aggregate_id: aggregateId, expected_sequence: 0 }).catch((e) => e);
    expect(error).toBeInstanceOf(EventServiceError);
    expect(error.status).toBe(409);
    expect(error.problem.current_sequence).toBe(1);
  });

  it('pages within a lower MAX_QUERY_LIMIT, which the refusal of a larger page names (limit_max)', async () => {
    const small = await startTestService({ MAX_QUERY_LIMIT: '3' });
    try {
      const fetchIt = ((url: string, init?: RequestInit) => small.app.request(url, init)) as typeof fetch;
      const c = createEventClient({ baseUrl: 'http://service', fetch: fetchIt });
      const aggregateId = newId();
      const { events } = await c.appendBatch(Array.from({ length: 7 }, () => ({ event_type: 'agent.noted', aggregate_id: aggregateId })));
      const refused = await c.query({ limit: 4 }).catch((e) => e);
      expect(refused.problem).toMatchObject({ status: 400, limit_max: 3 });
      const all = [];
      for await (const e of c.all({ aggregate_id: aggregateId })) all.push(e.id);
      expect(all).toEqual(events.map((e) => e.id));
      const page = await httpEventReader('http://service', { fetch: fetchIt })(0, 1000);
      expect(page.events.map((e) => e.id)).toEqual(events.slice(0, 3).map((e) => e.id));
      expect(page.nextAfter).toBe(events[2]!.position);
    } finally {
      await small.close();
    }
  });
});
