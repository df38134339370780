import { afterAll, beforeAll, expect } from 'vitest';
import { get, newId, postJson } from './http.ts';
import { startTestService, type TestService } from './service.ts';

/** The body limit of guardedService(): small, so the exact-limit cases are cheap (the default, 1 MiB, is tested apart). */
export const LIMIT = 4096;

export interface GuardedService {
  readonly t: TestService;
  /** Takes what is stored now as what must still be stored at the end: after a test that stores on purpose. */
  accept(): Promise<void>;
}

/**
 * A service for a file of bad requests: listening (for raw bytes over TCP), with a body limit of
 * LIMIT. When the file ends the service must still be healthy, and nothing stored may have changed
 * but what its tests accepted.
 */
export function guardedService(): GuardedService {
  let t: TestService | undefined;
  let fingerprint = '';
  const storeFingerprint = async () =>
    JSON.stringify(await t!.sql`select count(*)::int as n, coalesce(max(position), 0)::int as head, md5(coalesce(string_agg(event_json(e), ',' order by position), '')) as h from events e`);
  beforeAll(async () => {
    t = await startTestService({ MAX_BODY_BYTES: String(LIMIT), PORT: '0', HOST: '127.0.0.1' });
    expect((await postJson(t.app, '/events', { event_type: 'agent.created', aggregate_id: newId(), payload: { keep: 'me' } })).status).toBe(201);
    fingerprint = await storeFingerprint();
  });
  afterAll(async () => {
    if (!t) return;
    expect((await get(t.app, '/health')).status).toBe(200);
    expect(await storeFingerprint()).toBe(fingerprint);
    await t.close();
  });
  return {
    get t() {
      if (!t) throw new Error('the service starts in beforeAll');
      return t;
    },
    accept: async () => {
      fingerprint = await storeFingerprint();
    },
  };
}

export function expectProblem(res: { status: number; headers: Headers; body: any }, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect(res.body).toMatchObject({ status, title: expect.any(String), detail: expect.any(String), type: expect.stringMatching(/^\/problems\//) });
}

/** A valid event of a new aggregate. */
export const valid = () => ({ event_type: 'agent.created', aggregate_id: newId() });
