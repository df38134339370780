import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config.ts';
import { newId } from '../support/http.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { waitUntil } from '../support/wait.ts';

const READ = 'read-key-0123456789abcdef';
const WRITE = 'write-key-0123456789abcde';
const ADMIN = 'admin-key-0123456789abcde';

let t: TestService;
let agentId: string;
let replayId: string;
beforeAll(async () => {
  t = await startTestService({ API_KEYS: `${READ}:read,${WRITE}:write,${ADMIN}:admin` });
  agentId = newId();
  const res = await req('POST', '/events', ADMIN, { event_type: 'agent.created', aggregate_id: agentId });
  expect(res.status).toBe(201);
  replayId = ((await (await req('POST', '/replays', ADMIN, { filter: { aggregate_id: agentId }, channel: 'replay:auth' })).json()) as { id: string }).id;
});
afterAll(() => t.close());

function req(method: string, path: string, key?: string | null, body?: unknown, headers: Record<string, string> = {}) {
  const h: Record<string, string> = { ...headers };
  if (key) h.authorization = `Bearer ${key}`;
  if (body !== undefined) h['content-type'] = 'application/json';
  return t.app.request(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
}

const sameLengthWrong = (key: string) => key.slice(0, -1) + (key.endsWith('x') ? 'y' : 'x');

// Every route, the scope it needs, a key that lacks it, and a body where one is needed.
const routes = () => [
  { method: 'GET', path: '/events', scope: 'read', lacking: WRITE },
  { method: 'GET', path: `/events/${newId()}`, scope: 'read', lacking: WRITE },
  { method: 'GET', path: '/events/stream?after=0&aggregate_type=nothing', scope: 'read', lacking: WRITE },
  { method: 'POST', path: '/events', scope: 'write', lacking: READ, body: { event_type: 'task.created', aggregate_id: newId() } },
  { method: 'POST', path: '/events/batch', scope: 'write', lacking: READ, body: { events: [{ event_type: 'task.created', aggregate_id: newId() }] } },
  { method: 'GET', path: `/aggregates/agent/${agentId}`, scope: 'read', lacking: WRITE },
  { method: 'GET', path: `/aggregates/agent/${agentId}/snapshot`, scope: 'read', lacking: WRITE },
  { method: 'PUT', path: `/aggregates/agent/${agentId}/snapshot`, scope: 'admin', lacking: WRITE, body: { sequence: 1, schema_version: 1, state: {} } },
  { method: 'GET', path: '/schemas', scope: 'read', lacking: WRITE },
  { method: 'POST', path: '/replays', scope: 'admin', lacking: WRITE, body: { filter: {}, channel: 'replay:x' } },
  { method: 'GET', path: `/replays/${replayId}`, scope: 'read', lacking: WRITE },
  { method: 'DELETE', path: `/replays/${replayId}`, scope: 'admin', lacking: READ },
  { method: 'GET', path: '/metrics', scope: 'read', lacking: WRITE },
];

describe('API keys', () => {
  it('every route: 401 without a key, with an unknown key and with a same-length wrong key; 403 without the scope; served with the right key', async () => {
    for (const r of routes()) {
      const right = r.scope === 'read' ? READ : r.scope === 'write' ? WRITE : ADMIN;
      const none = await req(r.method, r.path, null, r.body);
      expect(none.status, `${r.method} ${r.path} without key`).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer realm="event-service"');
      expect(none.headers.get('content-type')).toBe('application/problem+json');
      const unknown = await req(r.method, r.path, 'not-a-key-at-all', r.body);
      expect(unknown.status, `${r.method} ${r.path} unknown key`).toBe(401);
      expect(unknown.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect((await req(r.method, r.path, sameLengthWrong(right), r.body)).status, `${r.method} ${r.path} wrong key`).toBe(401);
      const lacking = await req(r.method, r.path, r.lacking, r.body);
      expect(lacking.status, `${r.method} ${r.path} lacking scope`).toBe(403);
      expect(lacking.headers.get('www-authenticate')).toContain(`error="insufficient_scope", scope="${r.scope}"`);
      expect(((await lacking.json()) as { required_scope: string }).required_scope).toBe(r.scope);
      const ok = await req(r.method, r.path, right, r.body);
      expect([401, 403], `${r.method} ${r.path} right key`).not.toContain(ok.status);
      await ok.body?.cancel();
      const asAdmin = await req(r.method, r.path, ADMIN, r.body);
      expect([401, 403], `${r.method} ${r.path} admin`).not.toContain(asAdmin.status);
      await asAdmin.body?.cancel();
    }
  });

  it('keeps /health and /ready open', async () => {
    expect((await req('GET', '/health')).status).toBe(200);
    expect((await req('GET', '/ready')).status).toBe(200);
  });

  it("keeps the archive's error texts (they name its bucket or directory) from /health's answer to a request without a valid key", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evt-health-'));
    await writeFile(join(dir, 'a-file'), '');
    const s = await startTestService({ API_KEYS: `${READ}:read,${ADMIN}:admin`, ARCHIVE_URL: pathToFileURL(join(dir, 'a-file', 'archive')).href, ARCHIVE_INTERVAL: '0' });
    try {
      const as = (key?: string): RequestInit => ({ headers: key ? { authorization: `Bearer ${key}` } : {} });
      await s.app.request('/retention/agent', { method: 'PUT', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ archive_after: 'PT0S' }) });
      const started = (await (await s.app.request('/archive/runs', { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: '{}' })).json()) as { id: string };
      expect(await waitUntil(async () => ((await (await s.app.request(`/archive/runs/${started.id}`, as(READ))).json()) as { status: string }).status === 'failed')).toBe(true);
      const health = async (key?: string) => ((await (await s.app.request('/health', as(key))).json()) as { archive: { storage: string; storage_error: string | null; last_run: { status: string; error: string | null } } }).archive;
      for (const key of [undefined, 'not-a-key-at-all']) {
        expect(await health(key)).toMatchObject({ storage: 'failing', storage_error: null, last_run: { status: 'failed', error: null } });
      }
      const told = await health(READ);
      expect(told.storage_error).toContain(dir);
      expect(told.last_run.error).toContain(dir);
    } finally {
      await s.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('accepts a lowercase scheme and refuses malformed headers with 401', async () => {
    expect((await t.app.request('/events?limit=1', { headers: { authorization: `bearer ${READ}` } })).status).toBe(200);
    for (const authorization of ['Bearer', 'Bearer ', `Basic ${READ}`, `Bearer ${READ} extra`, 'Bearer ü', `Bearer\t${READ}x`]) {
      expect((await t.app.request('/events?limit=1', { headers: { authorization } })).status, authorization).toBe(401);
    }
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After once a key exceeds its rate', async () => {
    const limited = await startTestService({ API_KEYS: `${READ}:read`, RATE_LIMIT_PER_SECOND: '2' }, t.databaseUrl);
    const statuses = [];
    let last: Response | undefined;
    for (let i = 0; i < 6; i++) {
      last = await limited.app.request('/events?limit=1', { headers: { authorization: `Bearer ${READ}` } });
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 4)).toEqual([200, 200, 200, 200]);
    expect(statuses[5]).toBe(429);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await limited.close();
  });
});

describe('start-up refusal', () => {
  it('refuses NODE_ENV=production without API_KEYS unless AUTH=disabled', () => {
    expect(() => parseConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => parseConfig({ NODE_ENV: 'production' })).toThrow(/API_KEYS/);
    expect(parseConfig({ NODE_ENV: 'production', AUTH: 'disabled' }).auth).toEqual({ keys: [], disabled: true });
    expect(parseConfig({ NODE_ENV: 'production', API_KEYS: 'abcdefgh12345678:read' }).auth.keys).toHaveLength(1);
  });

  it('refuses malformed API_KEYS', () => {
    expect(() => parseConfig({ API_KEYS: 'nokey' })).toThrow(/API_KEYS/);
    expect(() => parseConfig({ API_KEYS: 'abc:delete' })).toThrow('invalid configuration:\n  API_KEYS: entry 1: unknown scope "delete" (read, write, admin)');
    expect(() => parseConfig({ API_KEYS: 'a b:read' })).toThrow(/API_KEYS/);
    expect([...parseConfig({ API_KEYS: 'abc:admin' }).auth.keys[0]!.scopes].sort()).toEqual(['admin', 'read', 'write']);
  });
});

describe('request and correlation ids', () => {
  it('echoes X-Request-Id (or makes one) and X-Correlation-Id, also on problems', async () => {
    const given = await req('GET', '/events?limit=1', READ, undefined, { 'x-request-id': 'req-123', 'x-correlation-id': 'corr-9' });
    expect(given.headers.get('x-request-id')).toBe('req-123');
    expect(given.headers.get('x-correlation-id')).toBe('corr-9');
    const made = await req('GET', '/events?limit=0', READ);
    expect(made.status).toBe(400);
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(((await made.json()) as { request_id: string }).request_id).toBe(made.headers.get('x-request-id'));
  });

  it('puts X-Request-Id and X-Correlation-Id on every kind of response', async () => {
    const ids = { 'x-request-id': 'req-every', 'x-correlation-id': 'corr-every' };
    const responses = [
      await req('POST', '/events', WRITE, { event_type: 'task.created', aggregate_id: newId() }, ids), // 201
      await req('GET', '/events?limit=1', READ, undefined, ids), // 200
      await req('GET', `/events/${newId()}`, READ, undefined, ids), // 404 problem
      await req('GET', '/no-such-route', READ, undefined, ids), // 404 from notFound
      await req('DELETE', '/events', ADMIN, undefined, ids), // 405
      await req('GET', '/events?limit=1', undefined, undefined, ids), // 401 from auth
      await req('GET', '/metrics', READ, undefined, ids), // text
      await req('GET', '/openapi.json', undefined, undefined, ids), // c.json
    ];
    expect(responses.map((r) => r.status)).toEqual([201, 200, 404, 404, 405, 401, 200, 200]);
    for (const r of responses) {
      expect(r.headers.get('x-request-id')).toBe('req-every');
      expect(r.headers.get('x-correlation-id')).toBe('corr-every');
      await r.arrayBuffer();
    }
  });

  it('fills metadata.correlation_id from X-Correlation-Id when the body has none', async () => {
    const filled = await req('POST', '/events', WRITE, { event_type: 'task.created', aggregate_id: newId() }, { 'x-correlation-id': 'corr-from-header' });
    expect(((await filled.json()) as { metadata: Record<string, unknown> }).metadata).toEqual({ correlation_id: 'corr-from-header' });
    const kept = await req('POST', '/events', WRITE, { event_type: 'task.created', aggregate_id: newId(), metadata: { correlation_id: 'own' } }, { 'x-correlation-id': 'other' });
    expect(((await kept.json()) as { metadata: Record<string, unknown> }).metadata).toEqual({ correlation_id: 'own' });
  });
});

describe('metrics and readiness', () => {
  it('exposes Prometheus metrics of appends, transactions, lag and relay state', async () => {
    await req('POST', '/events', WRITE, { event_type: 'plan.created', aggregate_id: newId() });
    const res = await req('GET', '/metrics', READ);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/events_appended_total\{event_type="plan.created",outcome="created"\} 1/);
    expect(text).toMatch(/append_request_duration_seconds_bucket\{le="[^"]+",route="single"\}/);
    expect(text).toMatch(/append_transaction_events_count \d+/);
    expect(text).toMatch(/relay_publish_lag \d+/);
    expect(text).toMatch(/relay_state\{state="[a-z_]+"\} 1/);
    expect(text).toMatch(/relay_publish_delay_seconds_bucket\{le="0.001"\} \d+/);
    expect(text).toMatch(/http_requests_total\{method="POST",route="\/events",status="201"\}/);
    expect(text).toMatch(/database_pool_max 10/);
    expect(text).toMatch(/database_read_connections_in_use 0/);
    expect(text).toMatch(/database_reads_waiting 0/);
    expect(text).toMatch(/process_cpu_seconds_total/);
  });

  it('is ready with PostgreSQL up and migrations applied; not ready without PostgreSQL', async () => {
    const ready = await req('GET', '/ready');
    expect(await ready.json()).toEqual({ status: 'ready', postgres: 'ok', migrations: 'ok', redis: 'ok' });
    const down = await startTestService({ DATABASE_CONNECT_TIMEOUT_S: '1' }, 'postgres://postgres@127.0.0.1:1/nothing');
    const res = await down.app.request('/ready');
    expect(res.status).toBe(503);
    expect(((await res.json()) as { postgres: string }).postgres).toBe('unavailable');
    await down.close();
  });
});

describe('request timeout', () => {
  it('answers 503 when an append cannot finish in time, and the append completes later', async () => {
    const slow = await startTestService({ REQUEST_TIMEOUT_MS: '300' }, t.databaseUrl);
    const raw = postgres(t.databaseUrl, { max: 1, onnotice: () => {} });
    const tx = await raw.reserve();
    await tx`begin`;
    await tx`select * from events_head for update`; // holds the append lock
    const id = newId();
    const res = await slow.app.request('/events', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id, event_type: 'task.created', aggregate_id: newId() }) });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { type: string }).type).toBe('/problems/timeout');
    await tx`rollback`;
    tx.release();
    await slow.service.appendQueue.drain();
    const stored = await raw`select count(*)::int as n from events where id = ${id}`;
    expect(stored[0]!.n).toBe(1);
    await raw.end();
    await slow.close();
  });
});
