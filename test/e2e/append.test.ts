import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentCreated, get, newId, postJson } from '../support/http.ts';
import { startTestService, subscribeAll, type TestService } from '../support/service.ts';

let t: TestService;
beforeAll(async () => {
  t = await startTestService();
});
afterAll(() => t.close());

const count = async () => Number((await t.sql`select count(*) from events`)[0]!.count);

describe('POST /events', () => {
  it('stores the seed curl example and answers 201 with Location and the stored event', async () => {
    const body = agentCreated();
    const res = await postJson(t.app, '/events/', body);
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('location')).toBe(`/events/${res.body.id}`);
    expect(res.body).toMatchObject({
      event_type: 'agent.created',
      aggregate_type: 'agent',
      aggregate_id: body.aggregate_id,
      sequence: 1,
      payload: body.payload,
      metadata: body.metadata,
      version: 1,
    });
    expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.position).toBeGreaterThan(0);
    expect(res.body.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    expect(Object.keys(res.body)).toEqual([
      'id', 'event_type', 'aggregate_type', 'aggregate_id', 'sequence', 'position', 'payload', 'metadata', 'version', 'created_at',
    ]);
  });

  it('accepts /events without the trailing slash, defaults payload, metadata and version, and derives aggregate_type', async () => {
    const res = await postJson(t.app, '/events', { event_type: 'task.completed', aggregate_id: newId() });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ aggregate_type: 'task', payload: {}, metadata: {}, version: 1, sequence: 1 });
  });

  it('answers GET /events/{id} with exactly the JSON the append returned', async () => {
    const created = await postJson(t.app, '/events', agentCreated());
    const fetched = await get(t.app, `/events/${created.body.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.text).toBe(created.text);
  });

  it('gives consecutive sequences to successive events of one aggregate', async () => {
    const aggregateId = newId();
    const seqs = [];
    for (const verb of ['created', 'started', 'completed']) {
      const res = await postJson(t.app, '/events', { event_type: `task.${verb}`, aggregate_id: aggregateId });
      seqs.push(res.body.sequence);
    }
    expect(seqs).toEqual([1, 2, 3]);
  });

  it('keeps the client id, and stores uppercase UUIDs in canonical lower case', async () => {
    const id = newId().toUpperCase();
    const aggregateId = newId().toUpperCase();
    const res = await postJson(t.app, '/events', { ...agentCreated(aggregateId), id });
    expect(res.status).toBe(201);
    expect(res.body.id).toBe(id.toLowerCase());
    expect(res.body.aggregate_id).toBe(aggregateId.toLowerCase());
  });
});

describe('idempotency by client id', () => {
  it('answers an identical resend with 200 and the original event, appending and publishing nothing', async () => {
    const sub = await subscribeAll(t.channelPrefix);
    const body = { ...agentCreated(), id: newId() };
    const first = await postJson(t.app, '/events', body);
    expect(first.status).toBe(201);
    await sub.waitForIds([first.body.id]);
    const before = await count();

    const again = await postJson(t.app, '/events', body);
    expect(again.status).toBe(200);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('location')).toBeNull();
    expect(await count()).toBe(before);

    // A marker event published after the resend proves the relay went past it.
    const marker = await postJson(t.app, '/events', agentCreated());
    await sub.waitForIds([marker.body.id]);
    sub.close();
    const mine = sub.messages.filter((m) => m.event.aggregate_id === body.aggregate_id || m.event.id === marker.body.id);
    expect(mine.map((m) => m.event.id)).toEqual([first.body.id, marker.body.id]);
  });

  it('treats a resend as identical when only key order or omitted defaults differ', async () => {
    const id = newId();
    const aggregateId = newId();
    const first = await postJson(t.app, '/events', { id, event_type: 'agent.created', aggregate_id: aggregateId, payload: { a: 1, b: 2 } });
    const again = await postJson(t.app, '/events', { payload: { b: 2, a: 1 }, aggregate_id: aggregateId, event_type: 'agent.created', id, aggregate_type: 'agent', metadata: {}, version: 1 });
    expect(again.status).toBe(200);
    expect(again.body.position).toBe(first.body.position);
  });

  it('answers 409 when the id is reused with a different body, and keeps the original', async () => {
    const body = { ...agentCreated(), id: newId() };
    const first = await postJson(t.app, '/events', body);
    const res = await postJson(t.app, '/events', { ...body, payload: { name: 'other' } });
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.body).toMatchObject({ type: '/problems/id-conflict', status: 409, id: body.id });
    expect((await get(t.app, `/events/${body.id}`)).text).toBe(first.text);
  });

  it('answers a resend with 200 whatever X-Correlation-Id it comes with, when the body has no correlation_id', async () => {
    const body = { ...agentCreated(), id: newId(), metadata: { source: 'gateway' } };
    const first = await postJson(t.app, '/events', body, { 'x-correlation-id': 'attempt-1' });
    expect(first.status).toBe(201);
    expect(first.body.metadata).toEqual({ source: 'gateway', correlation_id: 'attempt-1' });
    for (const headers of [{ 'x-correlation-id': 'attempt-2' }, {}] as Record<string, string>[]) {
      const again = await postJson(t.app, '/events', body, headers);
      expect(again.status).toBe(200);
      expect(again.text).toBe(first.text);
    }
    const batch = await postJson(t.app, '/events/batch', { events: [body] }, { 'x-correlation-id': 'attempt-3' });
    expect(batch.status).toBe(200);
    // Stored without the header, resent with it: the same event.
    const plain = { ...agentCreated(), id: newId() };
    expect((await postJson(t.app, '/events', plain)).status).toBe(201);
    expect((await postJson(t.app, '/events', plain, { 'x-correlation-id': 'later' })).status).toBe(200);
    // The rest of the body still counts, and so does a correlation_id the body itself gives.
    expect((await postJson(t.app, '/events', { ...body, metadata: { source: 'other' } }, { 'x-correlation-id': 'attempt-1' })).status).toBe(409);
    expect((await postJson(t.app, '/events', { ...body, metadata: { source: 'gateway', correlation_id: 'attempt-2' } })).status).toBe(409);
    expect((await get(t.app, `/events/${body.id}`)).text).toBe(first.text);
  });

  it('takes any X-Correlation-Id a body could give (spaces, UTF-8, 1024 bytes) and refuses the rest with 400, storing nothing', async () => {
    // Node reads header bytes as latin1: the UTF-8 bytes of "café 42" arrive as these characters.
    const asSent = (text: string) => Buffer.from(text).toString('latin1');
    for (const id of ['order 42', 'café 42', 'x'.repeat(1024)]) {
      const res = await postJson(t.app, '/events', { ...agentCreated(), metadata: {} }, { 'x-correlation-id': asSent(id) });
      expect(res.status, id).toBe(201);
      expect(res.body.metadata.correlation_id).toBe(id);
      expect(res.headers.get('x-correlation-id')).toBe(id === 'café 42' ? null : id);
    }
    const before = await count();
    for (const raw of ['x'.repeat(1025), '\xe9t\xe9', 'tab\there']) {
      for (const [path, body] of [['/events', agentCreated()], ['/events/batch', { events: [agentCreated()] }]] as const) {
        const res = await postJson(t.app, path, body, { 'x-correlation-id': raw });
        expect(res.status, `${path} ${JSON.stringify(raw)}`).toBe(400);
        expect(res.headers.get('content-type')).toBe('application/problem+json');
        expect(res.body.detail).toBe('X-Correlation-Id must be 1 to 1024 bytes of UTF-8 text without control characters');
        expect(res.headers.get('x-correlation-id')).toBeNull();
      }
    }
    expect(await count()).toBe(before);
    // Reads only leave such a header out of the answer.
    expect((await t.app.request('/events?limit=1', { headers: { 'x-correlation-id': '\xe9t\xe9' } })).status).toBe(200);
  });

  it('answers a resend with 200 even though its expected_sequence is no longer current', async () => {
    const body = { ...agentCreated(), id: newId(), expected_sequence: 0 };
    expect((await postJson(t.app, '/events', body)).status).toBe(201);
    expect((await postJson(t.app, '/events', body)).status).toBe(200);
  });
});

describe('expected_sequence', () => {
  it('appends when it matches, and answers 409 with current_sequence when stale', async () => {
    const aggregateId = newId();
    expect((await postJson(t.app, '/events', agentCreated(aggregateId, { expected_sequence: 0 }))).status).toBe(201);
    expect((await postJson(t.app, '/events', { event_type: 'agent.renamed', aggregate_id: aggregateId, expected_sequence: 1 })).status).toBe(201);
    const stale = await postJson(t.app, '/events', { event_type: 'agent.renamed', aggregate_id: aggregateId, expected_sequence: 1 });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({
      type: '/problems/sequence-conflict',
      status: 409,
      current_sequence: 2,
      expected_sequence: 1,
      aggregate_id: aggregateId,
    });
  });

  it('refuses expected_sequence 0 once the aggregate exists, and a future sequence', async () => {
    const aggregateId = newId();
    await postJson(t.app, '/events', agentCreated(aggregateId));
    expect((await postJson(t.app, '/events', agentCreated(aggregateId, { expected_sequence: 0 }))).body.current_sequence).toBe(1);
    expect((await postJson(t.app, '/events', agentCreated(aggregateId, { expected_sequence: 5 }))).status).toBe(409);
  });

  it('in a batch, names the sequence the refused item meets, the batch\'s earlier events of its aggregate counted', async () => {
    const [a, b] = [newId(), newId()];
    const items = (expected: number) => [agentCreated(a), agentCreated(b), { event_type: 'agent.renamed', aggregate_id: a, expected_sequence: expected }];
    const refused = await postJson(t.app, '/events/batch', { events: items(5) });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ index: 2, current_sequence: 1, expected_sequence: 5 });
    expect(refused.body.detail).toBe(`expected_sequence 5 but agent ${a} is at sequence 1 with the batch's earlier events of it`);
    expect((await postJson(t.app, '/events/batch', { events: items(refused.body.current_sequence) })).status).toBe(201);
  });

  it('lets exactly one of 10 racing expected_sequence 0 appends win', async () => {
    const aggregateId = newId();
    const results = await Promise.all(
      Array.from({ length: 10 }, () => postJson(t.app, '/events', agentCreated(aggregateId, { expected_sequence: 0 }))),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, ...Array(9).fill(409)]);
    const stored = await get(t.app, `/events?aggregate_id=${aggregateId}`);
    expect(stored.body.events).toHaveLength(1);
  });

  it('gives 50 concurrent appends to one aggregate the sequences 1..50', async () => {
    const aggregateId = newId();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => postJson(t.app, '/events', { event_type: 'task.progressed', aggregate_id: aggregateId, payload: { i } })),
    );
    expect(results.every((r) => r.status === 201)).toBe(true);
    expect(results.map((r) => r.body.sequence).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });
});
