import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentAggregate, agentEventTypes } from '../support/agent-aggregate.ts';
import { get, newId, postJson } from '../support/http.ts';
import { startTestService, type TestService } from '../support/service.ts';

let t: TestService;
beforeAll(async () => {
  t = await startTestService({}, undefined, { aggregates: [agentAggregate({ snapshotEvery: 2 })], eventTypes: agentEventTypes });
});
afterAll(() => t.close());

async function agentWithEvents() {
  const id = newId();
  const events = [
    { event_type: 'agent.created', aggregate_id: id, payload: { name: 'ada' } },
    { event_type: 'agent.renamed', aggregate_id: id, payload: { name: 'bea' } },
    { event_type: 'agent.noted', aggregate_id: id, payload: { note: 'hi' } },
    { event_type: 'agent.renamed', aggregate_id: id, payload: { name: 'cy' } },
  ];
  expect((await postJson(t.app, '/events/batch', { events })).status).toBe(201);
  return id;
}

describe('GET /aggregates/{type}/{id}?at_sequence=N', () => {
  it('answers the state after event N, for every N up to the current sequence', async () => {
    const id = await agentWithEvents();
    const names = ['ada', 'bea', 'bea', 'cy'];
    const renames = [0, 1, 1, 2];
    for (let n = 1; n <= 4; n++) {
      const res = await get(t.app, `/aggregates/agent/${id}?at_sequence=${n}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ aggregate_type: 'agent', aggregate_id: id, sequence: n, state: { name: names[n - 1], renames: renames[n - 1] } });
      expect(res.body.state.log).toHaveLength(n);
    }
  });

  it('folds from the start when the stored snapshot is past N, and writes no snapshot of its own', async () => {
    const id = await agentWithEvents();
    expect((await get(t.app, `/aggregates/agent/${id}`)).body.sequence).toBe(4); // writes the snapshot at 4 (snapshotEvery: 2)
    const snapshot = (await get(t.app, `/aggregates/agent/${id}/snapshot`)).body;
    expect(snapshot.sequence).toBe(4);
    expect((await get(t.app, `/aggregates/agent/${id}?at_sequence=1`)).body.state).toMatchObject({ name: 'ada', log: ['created:1'] });
    expect((await get(t.app, `/aggregates/agent/${id}/snapshot`)).body).toEqual(snapshot);
  });

  it('answers from the snapshot when it is at N, reading no event', async () => {
    const id = await agentWithEvents();
    expect((await get(t.app, `/aggregates/agent/${id}`)).body.sequence).toBe(4); // the snapshot at 4
    await postJson(t.app, '/events', { event_type: 'agent.renamed', aggregate_id: id, payload: { name: 'di' } });
    const res = await get(t.app, `/aggregates/agent/${id}?at_sequence=4`);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ sequence: 4, state: { name: 'cy', renames: 2 } });
    expect(res.body.state.log).toHaveLength(4);
  });

  it('without a registered definition answers the sequence and no state', async () => {
    const id = newId();
    await postJson(t.app, '/events/batch', { events: [{ event_type: 'task.created', aggregate_id: id }, { event_type: 'task.started', aggregate_id: id }] });
    const res = await get(t.app, `/aggregates/task/${id}?at_sequence=1`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ aggregate_type: 'task', aggregate_id: id, sequence: 1 });
  });

  it('answers 404 with current_sequence past the current sequence, registered or not', async () => {
    const id = await agentWithEvents();
    for (const path of [`/aggregates/agent/${id}?at_sequence=5`, `/aggregates/agent/${id}?at_sequence=9007199254740991`]) {
      const res = await get(t.app, path);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.body).toMatchObject({ type: '/problems/not-found', current_sequence: 4, errors: [{ pointer: '/at_sequence' }] });
    }
    const task = newId();
    await postJson(t.app, '/events', { event_type: 'task.created', aggregate_id: task });
    expect((await get(t.app, `/aggregates/task/${task}?at_sequence=2`)).body).toMatchObject({ status: 404, current_sequence: 1 });
    expect((await get(t.app, `/aggregates/agent/${newId()}?at_sequence=1`)).status).toBe(404);
  });

  it('answers 400 naming the parameter for a sequence that is not a positive integer, repeated, or unknown', async () => {
    const id = await agentWithEvents();
    for (const q of ['at_sequence=0', 'at_sequence=-1', 'at_sequence=abc', 'at_sequence=1.5', 'at_sequence=', 'at_sequence=01', 'at_sequence=99999999999999999', 'at_sequence=1&at_sequence=2', 'atSequence=1']) {
      const res = await get(t.app, `/aggregates/agent/${id}?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.body.type).toBe('/problems/malformed-request');
      expect(res.body.errors[0].pointer, q).toBe(q.startsWith('atSequence') ? '/atSequence' : '/at_sequence');
    }
  });

  it('documents at_sequence in OpenAPI, so the console offers state at a sequence', async () => {
    const doc = (await get(t.app, '/openapi.json')).body;
    const params = doc.paths['/aggregates/{type}/{id}'].get.parameters.map((p: { name: string }) => p.name);
    expect(params).toContain('at_sequence');
  });
});
