import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get } from '../support/http.ts';
import { startTestService, type TestService } from '../support/service.ts';

let t: TestService;
beforeAll(async () => {
  t = await startTestService();
});
afterAll(() => t.close());

const send = async (method: string, path: string, body?: unknown) => {
  const res = await t.app.request(path, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
};

describe('saved queries', () => {
  it('saves a filter under a name (201, then 200 replacing it), lists by name, reads and deletes', async () => {
    const created = await send('PUT', '/saved-queries/failed-tasks', { filter: { event_type: 'task.failed', order: 'desc' } });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/saved-queries/failed-tasks');
    expect(created.body).toMatchObject({ name: 'failed-tasks', filter: { event_type: 'task.failed', order: 'desc' }, created_at: expect.any(String) });
    const replaced = await send('PUT', '/saved-queries/failed-tasks', { filter: { event_type: 'task.failed', limit: 25 } });
    expect(replaced.status).toBe(200);
    expect(replaced.body.filter).toEqual({ event_type: 'task.failed', limit: 25 });
    expect((await send('PUT', '/saved-queries/agents', { filter: { aggregate_type: 'agent' } })).status).toBe(201);
    expect((await get(t.app, '/saved-queries')).body.saved_queries.map((q: { name: string }) => q.name)).toEqual(['agents', 'failed-tasks']);
    expect((await get(t.app, '/saved-queries/agents')).body.filter).toEqual({ aggregate_type: 'agent' });
    expect((await send('DELETE', '/saved-queries/agents')).status).toBe(204);
    expect((await get(t.app, '/saved-queries/agents')).status).toBe(404);
    expect((await send('DELETE', '/saved-queries/agents')).status).toBe(404);
  });

  it('refuses a bad name with 400 and a filter GET /events would refuse with 422 naming each field', async () => {
    expect((await send('PUT', '/saved-queries/Bad%20Name', { filter: {} })).body).toMatchObject({ status: 400, errors: [{ pointer: '/name' }] });
    const bad = await send('PUT', '/saved-queries/x', { filter: { from: 'soon', aggregate_id: 'nope', after: 5, limit: 5000 }, extra: 1 });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/extra', '/filter/after']);
    const values = await send('PUT', '/saved-queries/x', { filter: { from: 'soon', aggregate_id: 'nope', limit: 5000 } });
    expect(values.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/filter/aggregate_id', '/filter/from', '/filter/limit']);
    expect((await send('PUT', '/saved-queries/x', { filter: { event_type: ['a'] } })).status).toBe(422);
    expect((await send('PUT', '/saved-queries/x', '[')).status).toBe(422);
  });
});
