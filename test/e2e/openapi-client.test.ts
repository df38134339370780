import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventClient, EventServiceError } from '../../src/client/client.ts';
import { createOpenApi } from '../../src/http/openapi.ts';
import { newId } from '../support/http.ts';
import { startTestService, type TestService } from '../support/service.ts';

let t: TestService;
beforeAll(async () => {
  t = await startTestService();
});
afterAll(() => t.close());

describe('OpenAPI', () => {
  it('serves an OpenAPI 3.1 document that lists every route of the app', async () => {
    const res = await t.app.request('/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    const routes = t.app.routes
      .filter((r) => r.method !== 'ALL' && !r.path.endsWith('*'))
      .map((r) => `${r.method} ${r.path.replace(/\/$/, '').replace(/:(\w+)/g, '{$1}') || '/'}`);
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect([...new Set(routes)].sort()).toEqual(documented.sort());
  });

  it('generates request schemas from the same zod schemas that validate requests', async () => {
    const doc = (await (await t.app.request('/openapi.json')).json()) as { components: { schemas: Record<string, any> } };
    const append = doc.components.schemas.AppendEvent;
    expect(append.required.sort()).toEqual(['aggregate_id', 'event_type']);
    expect(append.additionalProperties).toBe(false);
    expect(append.properties.event_type.pattern).toContain('[a-z][a-z0-9_-]{0,63}');
    expect(doc.components.schemas.AppendBatch.properties.events.maxItems).toBe(1000);
    expect(doc.components.schemas.Event.required).toContain('position');
  });

  it('documents examples that validate against their schemas', () => {
    const { examples } = createOpenApi({ maxBatchEvents: 1000, maxQueryLimit: 1000, authEnabled: false });
    expect(examples.length).toBeGreaterThan(15);
    for (const e of examples) expect(e.schema.safeParse(e.value).success, e.where).toBe(true);
  });

  it('serves an HTML docs page that loads the document', async () => {
    const res = await t.app.request('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('data-url="/openapi.json"');
  });
});

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
    for await (const e of c.all({ aggregate_id: aggregateId }, 2)) all.push(e.sequence);
    expect(all).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await c.aggregate('agent', aggregateId)).sequence).toBe(6);
    expect((await c.putSnapshot('agent', aggregateId, { sequence: 6, schema_version: 1, state: { n: 6 } })).stored).toBe(true);
    expect((await c.getSnapshot('agent', aggregateId, 1)).state).toEqual({ n: 6 });
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
});
