import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, newId, postJson } from '../support/http.ts';
import { freePort } from '../../src/postgres/free-port.ts';
import { sendOtherRoutes } from '../support/outage-load.ts';
import { startTestService, type TestService } from '../support/service.ts';

// Nothing listens on this port: PostgreSQL is unreachable for this service instance.
let t: TestService;
beforeAll(async () => {
  t = await startTestService({ DATABASE_CONNECT_TIMEOUT_S: '1' }, `postgres://postgres@127.0.0.1:${await freePort()}/nothing`);
});
afterAll(() => t.close());

describe('PostgreSQL unreachable', () => {
  it('answers appends and reads with 503 problem+json and Retry-After, quickly', async () => {
    const started = Date.now();
    const res = await postJson(t.app, '/events', { event_type: 'agent.created', aggregate_id: newId() });
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.body.type).toBe('/problems/storage-unavailable');
    const read = await get(t.app, '/events?limit=1');
    expect(read.status).toBe(503);
    expect((await get(t.app, `/events/${newId()}`)).status).toBe(503);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('answers the lifecycle routes and event streams from a position with 503 problem+json and Retry-After, not an empty stream', async () => {
    const started = Date.now();
    for (const a of await sendOtherRoutes(t.app, 1)) {
      expect(a.status, a.route).toBe(503);
      expect(a.contentType, a.route).toBe('application/problem+json');
      expect(a.retryAfter, a.route).toBe('1');
    }
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('reports itself unhealthy', async () => {
    const res = await get(t.app, '/health');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ status: 'unavailable', postgres: 'unavailable' });
  });
});
