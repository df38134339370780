import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../support/http.ts';
import { startTestService, type TestService } from '../support/service.ts';

const READ = 'read-key-1';
const WRITE = 'write-key-2';
const ADMIN = 'admin-key-3';

let keyed: TestService;
let open: TestService;
beforeAll(async () => {
  keyed = await startTestService({ API_KEYS: `${READ}:read,${WRITE}:write,${ADMIN}:admin` });
  open = await startTestService({}, keyed.databaseUrl);
});
afterAll(async () => {
  await open.close();
  await keyed.close();
});

const call = async (t: TestService, method: string, path: string, key?: string, body?: unknown) => {
  const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await t.app.request(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), body: text ? JSON.parse(text) : undefined };
};

describe('GET /auth/key', () => {
  it("answers the presented key's label and scopes, never its secret", async () => {
    const read = await call(keyed, 'GET', '/auth/key', READ);
    expect(read).toMatchObject({ status: 200, body: { auth: 'key', label: 'key1', scopes: ['read'] } });
    expect(JSON.stringify(read.body)).not.toContain(READ);
    expect((await call(keyed, 'GET', '/auth/key', ADMIN)).body).toEqual({ auth: 'key', label: 'key3', scopes: ['read', 'write', 'admin'] });
  });

  it('keeps the rules of every GET: 401 without a key or with an unknown one, 403 for a key without read', async () => {
    expect(await call(keyed, 'GET', '/auth/key')).toMatchObject({ status: 401, type: 'application/problem+json' });
    expect((await call(keyed, 'GET', '/auth/key', 'nope')).status).toBe(401);
    expect(await call(keyed, 'GET', '/auth/key', WRITE)).toMatchObject({ status: 403, body: { required_scope: 'read' } });
  });

  it('says that no key is needed when the service runs open', async () => {
    expect((await call(open, 'GET', '/auth/key')).body).toEqual({ auth: 'open', label: null, scopes: ['read', 'write', 'admin'] });
  });
});

describe('the console routes under API keys', () => {
  const reads = ['/stats', '/stats?bucket=day', '/replays', `/aggregates/agent/${newId()}?at_sequence=1`, '/saved-queries', '/saved-queries/some-name'];
  it('reads need a key with the read scope (401 without one, 403 for a write-only key)', async () => {
    for (const path of reads) {
      expect((await call(keyed, 'GET', path)).status, path).toBe(401);
      expect((await call(keyed, 'GET', path, WRITE)).status, path).toBe(403);
      expect([200, 404], path).toContain((await call(keyed, 'GET', path, READ)).status);
    }
  });

  it('previews, saved-query writes and deletes need admin', async () => {
    const changes: [string, string, unknown][] = [
      ['POST', '/replays', { dry_run: true }],
      ['PUT', '/saved-queries/mine', { filter: { event_type: 'task.created' } }],
      ['DELETE', '/saved-queries/mine', undefined],
    ];
    for (const [method, path, body] of changes) {
      expect((await call(keyed, method, path, undefined, body)).status, path).toBe(401);
      expect(await call(keyed, method, path, READ, body), path).toMatchObject({ status: 403, body: { required_scope: 'admin' } });
    }
    expect((await call(keyed, 'POST', '/replays', ADMIN, { dry_run: true })).status).toBe(200);
    expect((await call(keyed, 'PUT', '/saved-queries/mine', ADMIN, { filter: {} })).status).toBe(201);
    expect((await call(keyed, 'DELETE', '/saved-queries/mine', ADMIN)).status).toBe(204);
  });
});
