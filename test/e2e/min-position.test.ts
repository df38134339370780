import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentCreated, newId, postJson } from '../support/http.ts';
import { startTestService, type TestService } from '../support/service.ts';

let t: TestService;
let event: { id: string; aggregate_id: string; position: number };
beforeAll(async () => {
  t = await startTestService();
  event = (await postJson(t.app, '/events', agentCreated())).body;
  const snapshot = await t.app.request(`/aggregates/agent/${event.aggregate_id}/snapshot`, {
    method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sequence: 1, schema_version: 1, state: {} }),
  });
  expect(snapshot.status).toBe(200);
});
afterAll(() => t.close());

// Every route that reads, with the query string it needs besides min_position.
const readRoutes = () => [
  { path: '/events', query: `aggregate_id=${event.aggregate_id}` },
  { path: `/events/${event.id}`, query: '' },
  { path: '/events/stream', query: `aggregate_id=${newId()}` },
  { path: `/aggregates/agent/${event.aggregate_id}`, query: '' },
  { path: `/aggregates/agent/${event.aggregate_id}/snapshot`, query: 'schema_version=1' },
];
const url = (path: string, ...params: string[]) => `${path}?${params.filter(Boolean).join('&')}`;

async function status(path: string, headers: Record<string, string> = {}) {
  const res = await t.app.request(path, { headers });
  const type = res.headers.get('content-type');
  const body = type?.includes('json') ? ((await res.json()) as { errors: { pointer: string; detail: string }[] }) : undefined;
  if (body === undefined) await res.body?.cancel(); // the open SSE stream
  return { status: res.status, type, body };
}

describe('min_position and X-Min-Position on every route that reads', () => {
  it('are accepted, in the query and as the header, both at once too', async () => {
    for (const r of readRoutes()) {
      for (const [path, headers] of [
        [url(r.path, r.query, `min_position=${event.position}`), {}],
        [url(r.path, r.query), { 'x-min-position': String(event.position) }],
        [url(r.path, r.query, 'min_position=0'), { 'x-min-position': String(event.position) }],
      ] as const) {
        expect((await status(path, headers)).status, `${path} ${JSON.stringify(headers)}`).toBe(200);
      }
    }
  });

  it('refuse a value that is not a position with 400 problem+json naming the parameter or header', async () => {
    for (const r of readRoutes()) {
      for (const bad of ['-1', 'abc', '1.5', '99999999999999999', '']) {
        const query = await status(url(r.path, r.query, `min_position=${encodeURIComponent(bad)}`));
        expect(query.status, `${r.path} min_position=${bad}`).toBe(400);
        expect(query.type).toBe('application/problem+json');
        expect(query.body!.errors.map((e: { pointer: string }) => e.pointer)).toContain('/min_position');
        expect(query.body!.errors, `${r.path} min_position=${bad}`).toContainEqual({ pointer: '/min_position', detail: 'must be a position (integer >= 0)' });
        if (bad === '') continue; // an empty header is no header
        const header = await status(url(r.path, r.query), { 'x-min-position': bad });
        expect(header.status, `${r.path} X-Min-Position: ${bad}`).toBe(400);
        expect(header.type).toBe('application/problem+json');
        expect(header.body!.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/X-Min-Position']);
      }
    }
  });

  it('refuse min_position given twice', async () => {
    for (const r of readRoutes()) {
      const res = await status(url(r.path, r.query, 'min_position=1', 'min_position=2'));
      expect(res.status, r.path).toBe(400);
      expect(res.body!.errors.map((e: { pointer: string }) => e.pointer)).toContain('/min_position');
    }
  });
});
