import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentAggregate, agentEventTypes } from '../support/agent-aggregate.ts';
import { get, newId, postJson, postRaw } from '../support/http.ts';
import { startTestService, type TestService } from '../support/service.ts';

let t: TestService;
let strict: TestService;
beforeAll(async () => {
  t = await startTestService({}, undefined, { aggregates: [agentAggregate({ snapshotEvery: 2 })], eventTypes: agentEventTypes });
  strict = await startTestService({ UNREGISTERED_EVENT_TYPES: 'reject' }, t.databaseUrl, { eventTypes: agentEventTypes });
});
afterAll(async () => {
  await strict.close();
  await t.close();
});

async function put(path: string, body: unknown) {
  const r = await t.app.request(path, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, headers: r.headers, body: (await r.json()) as any };
}

async function agentWithEvents(n: number) {
  const id = newId();
  const events = [{ event_type: 'agent.created', aggregate_id: id, payload: { name: 'ada' } }, ...Array.from({ length: n - 1 }, (_, i) => ({ event_type: 'agent.renamed', aggregate_id: id, payload: { name: `n${i}` } }))];
  expect((await postJson(t.app, '/events/batch', { events })).status).toBe(201);
  return id;
}

describe('GET /aggregates/{type}/{id}', () => {
  it('returns the folded state of a registered aggregate', async () => {
    const id = await agentWithEvents(3);
    const res = await get(t.app, `/aggregates/agent/${id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      aggregate_type: 'agent', aggregate_id: id, sequence: 3,
      state: { name: 'n1', kind: 'general', renames: 2, log: ['created:1', 'renamed:2', 'renamed:3'] },
    });
  });

  it('returns only the sequence for a type without a definition', async () => {
    const id = newId();
    await postJson(t.app, '/events', { event_type: 'task.created', aggregate_id: id });
    expect((await get(t.app, `/aggregates/task/${id}`)).body).toEqual({ aggregate_type: 'task', aggregate_id: id, sequence: 1 });
  });

  it('answers 404 for an aggregate without events and 400 for a bad address', async () => {
    expect((await get(t.app, `/aggregates/agent/${newId()}`)).status).toBe(404);
    expect((await get(t.app, `/aggregates/Agent/${newId()}`)).status).toBe(400);
    expect((await get(t.app, '/aggregates/agent/nope')).status).toBe(400);
  });
});

describe('snapshots over HTTP', () => {
  it('stores a snapshot and reads it back, newest per schema version', async () => {
    const id = await agentWithEvents(4);
    const stored = await put(`/aggregates/agent/${id}/snapshot`, { sequence: 3, schema_version: 7, state: { any: 'json' } });
    expect(stored.status).toBe(200);
    expect(stored.body).toMatchObject({ aggregate_type: 'agent', aggregate_id: id, schema_version: 7, sequence: 3, state: { any: 'json' }, stored: true });
    const read = await get(t.app, `/aggregates/agent/${id}/snapshot?schema_version=7`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ sequence: 3, state: { any: 'json' } });
    expect((await get(t.app, `/aggregates/agent/${id}/snapshot?schema_version=8`)).status).toBe(404);
    expect((await get(t.app, `/aggregates/agent/${id}/snapshot`)).status).toBe(200);
  });

  it('never moves a snapshot backwards: the response shows the one kept', async () => {
    const id = await agentWithEvents(4);
    await put(`/aggregates/agent/${id}/snapshot`, { sequence: 4, schema_version: 9, state: 'newer' });
    const older = await put(`/aggregates/agent/${id}/snapshot`, { sequence: 2, schema_version: 9, state: 'older' });
    expect(older.status).toBe(200);
    expect(older.body).toMatchObject({ sequence: 4, state: 'newer', stored: false });
  });

  it('refuses a sequence beyond the aggregate current one with 422 and current_sequence', async () => {
    const id = await agentWithEvents(2);
    const res = await put(`/aggregates/agent/${id}/snapshot`, { sequence: 3, schema_version: 1, state: {} });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.body).toMatchObject({ current_sequence: 2, errors: [{ pointer: '/sequence' }] });
  });

  it.each([
    [{ sequence: 0, schema_version: 1, state: {} }, '/sequence'],
    [{ sequence: 1.5, schema_version: 1, state: {} }, '/sequence'],
    [{ sequence: 1, schema_version: 0, state: {} }, '/schema_version'],
    [{ sequence: 1, schema_version: 1 }, '/state'],
    [{ sequence: 1, schema_version: 1, state: {}, extra: 1 }, ''],
    [[], ''],
  ])('refuses a bad body %j with 422', async (body, pointer) => {
    const id = await agentWithEvents(1);
    const res = await put(`/aggregates/agent/${id}/snapshot`, body);
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
  });

  it('refuses malformed JSON, non-JSON and bad query parameters', async () => {
    const id = newId();
    const raw = await t.app.request(`/aggregates/agent/${id}/snapshot`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{' });
    expect(raw.status).toBe(400);
    const text = await t.app.request(`/aggregates/agent/${id}/snapshot`, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: '{}' });
    expect(text.status).toBe(415);
    expect((await get(t.app, `/aggregates/agent/${id}/snapshot?schema_version=x`)).status).toBe(400);
    expect((await get(t.app, `/aggregates/agent/${id}/snapshot?version=1`)).status).toBe(400);
  });

  it('writes snapshots on load every N events, so the next load starts from one', async () => {
    const id = await agentWithEvents(5);
    await get(t.app, `/aggregates/agent/${id}`);
    const snap = await get(t.app, `/aggregates/agent/${id}/snapshot?schema_version=1`);
    expect(snap.body).toMatchObject({ sequence: 5 });
  });
});

describe('typed events on append', () => {
  it('refuses a registered type whose payload breaks its schema, naming each field', async () => {
    const res = await postJson(t.app, '/events', { event_type: 'agent.renamed', aggregate_id: newId(), payload: { name: '' } });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ pointer: '/payload/name', detail: expect.any(String) }]);
    const batch = await postJson(t.app, '/events/batch', {
      events: [{ event_type: 'agent.noted', aggregate_id: newId(), payload: { note: 'ok' } }, { event_type: 'agent.created', version: 3, aggregate_id: newId(), payload: { display_name: 1 } }],
    });
    expect(batch.status).toBe(422);
    expect(batch.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/events/1/payload/display_name', '/events/1/payload/kind']);
  });

  it('refuses an unregistered version of a registered type', async () => {
    const res = await postJson(t.app, '/events', { event_type: 'agent.created', version: 4, aggregate_id: newId(), payload: {} });
    expect(res.status).toBe(422);
    expect(res.body.errors[0].pointer).toBe('/version');
  });

  it('accepts unregistered types by default and refuses them when configured to', async () => {
    expect((await postJson(t.app, '/events', { event_type: 'task.created', aggregate_id: newId() })).status).toBe(201);
    const refused = await postJson(strict.app, '/events', { event_type: 'task.created', aggregate_id: newId() });
    expect(refused.status).toBe(422);
    expect(refused.body.errors[0].pointer).toBe('/event_type');
    expect((await postJson(strict.app, '/events', { event_type: 'agent.noted', aggregate_id: newId(), payload: { note: 'x' } })).status).toBe(201);
  });

  it("never lets one client's invalid payload fail another's valid append", async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        postJson(t.app, '/events', { event_type: 'agent.noted', aggregate_id: newId(), payload: i % 2 ? { note: 'ok' } : { note: 5 } }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array.from({ length: 20 }, (_, i) => (i % 2 ? 201 : 422)));
  });
});

describe('GET /schemas', () => {
  it('lists every registered (event_type, version) as JSON Schema', async () => {
    const res = await get(t.app, '/schemas');
    expect(res.status).toBe(200);
    expect(res.body.schemas.map((s: { event_type: string; version: number }) => `${s.event_type}@${s.version}`)).toEqual([
      'agent.created@1', 'agent.created@2', 'agent.created@3', 'agent.renamed@1', 'agent.noted@1',
    ]);
    expect(res.body.schemas[3].schema).toMatchObject({ type: 'object', properties: { name: { type: 'string', minLength: 1 } }, required: ['name'] });
  });

  it('publishes the schema appends enforce: a payload its JSON Schema accepts is stored as sent, one it refuses is 422', async () => {
    const published = (await get(t.app, '/schemas')).body.schemas.find((s: { event_type: string; version: number }) => s.event_type === 'agent.created' && s.version === 1);
    const validate = new Ajv2020({ strict: true }).compile(published.schema);
    for (const payload of [{ name: 'x' }, { name: 'x', extra: 1 }, {}, { name: 5 }]) {
      const res = await postJson(t.app, '/events', { event_type: 'agent.created', aggregate_id: newId(), payload });
      expect(res.status, JSON.stringify(payload)).toBe(validate(payload) ? 201 : 422);
      if (res.status === 201) expect(res.body.payload).toEqual(payload);
    }
  });

  it('answers 405 for other methods on known aggregate routes', async () => {
    expect((await postRaw(t.app, `/aggregates/agent/${newId()}`, '{}', { 'content-type': 'application/json' })).status).toBe(405);
  });
});
