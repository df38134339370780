import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/postgres/free-port.ts';
import { Redis } from 'ioredis';
import { eventsStreamKey } from '../../src/events/stream-keys.ts';
import { archiveNow, putPolicy, waitPublished } from '../support/archive.ts';
import { testRedisUrl } from '../support/env.ts';
import { newId } from '../support/http.ts';
import { createContract } from '../support/openapi-contract.ts';
import { startTestService, type TestService } from '../support/service.ts';

// Real requests over HTTP to every route of three services (open; with API keys and a rate
// limit; with PostgreSQL unreachable), each answer checked against the document that service
// serves: status, documented headers, media type, and body against the schema (Ajv 2020).

const LIMIT = 4096;
const KEYS = 'reader-secret:read,limited-secret:read';

interface Target {
  t: TestService;
  base: string;
  contract: ReturnType<typeof createContract>;
  document: any;
}

async function start(env: Record<string, string>, databaseUrl?: string): Promise<Target> {
  const t = await startTestService({ PORT: '0', HOST: '127.0.0.1', MAX_BODY_BYTES: String(LIMIT), ...env }, databaseUrl);
  const { port } = await t.service.listen();
  const base = `http://127.0.0.1:${port}`;
  const document = (await (await fetch(`${base}/openapi.json`)).json()) as any;
  return { t, base, document, contract: createContract(document) };
}

let open: Target, secured: Target, down: Target;
beforeAll(async () => {
  [open, secured, down] = await Promise.all([
    start({}),
    start({ API_KEYS: KEYS, RATE_LIMIT_PER_SECOND: '1' }),
    start({ DATABASE_CONNECT_TIMEOUT_S: '1' }, `postgres://postgres@127.0.0.1:${await freePort()}/nothing`),
  ]);
});
afterAll(async () => {
  await Promise.all([open, secured, down].filter(Boolean).map((s) => s.t.close()));
});

/** Sends one request and checks its answer against the target's document; returns status and body. */
async function call(target: Target, method: string, path: string, init: { json?: unknown; body?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers };
  const body = init.json !== undefined ? JSON.stringify(init.json) : init.body;
  const abort = new AbortController();
  const res = await fetch(`${target.base}${path}`, { method, headers, body, signal: abort.signal });
  // A stream stays open: its headers are the answer.
  const text = res.headers.get('content-type')?.startsWith('text/event-stream') ? (abort.abort(), '') : await res.text();
  const problems = target.contract.check({ method, path, status: res.status, headers: res.headers, text });
  expect(problems, `${method} ${path}`).toEqual([]);
  return { status: res.status, body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
}

/** call() for what fetch refuses to send (an Expect header): node:http, the answer checked the same way. */
async function rawCall(target: Target, method: string, path: string, headers: Record<string, string>, body: string) {
  const { status, headers: answerHeaders, text } = await new Promise<{ status: number; headers: Headers; text: string }>((resolve, reject) => {
    const req = request(`${target.base}${path}`, { method, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk)).on('end', () => {
        const h = new Headers();
        for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') h.set(name, value);
        resolve({ status: res.statusCode!, headers: h, text });
      });
    });
    req.on('error', reject).end(body);
  });
  expect(target.contract.check({ method, path, status, headers: answerHeaders, text }), `${method} ${path}`).toEqual([]);
  return status;
}

const event = (aggregateId = newId(), extra: Record<string, unknown> = {}) => ({ event_type: 'agent.created', aggregate_id: aggregateId, payload: { name: 'x' }, ...extra });

describe('every route answers as the document says', () => {
  it('events: append, resend, batch, conflicts, query, get, stream, and their refusals', async () => {
    const aggregateId = newId();
    const id = newId();
    expect((await call(open, 'POST', '/events', { json: event(aggregateId, { id }) })).status).toBe(201);
    expect((await call(open, 'POST', '/events', { json: event(aggregateId, { id }) })).status).toBe(200);
    expect((await call(open, 'POST', '/events', { json: event(aggregateId, { expected_sequence: 0 }) })).status).toBe(409);
    expect((await call(open, 'POST', '/events', { body: '{"event_type":', headers: { 'content-type': 'application/json' } })).status).toBe(400);
    expect((await call(open, 'POST', '/events', { body: JSON.stringify(event()), headers: { 'content-type': 'text/plain' } })).status).toBe(415);
    expect((await call(open, 'POST', '/events', { body: JSON.stringify(event()), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } })).status).toBe(415);
    expect((await call(open, 'POST', '/events', { json: event(newId(), { payload: { big: 'x'.repeat(LIMIT) } }) })).status).toBe(413);
    expect((await call(open, 'POST', '/events', { json: { ...event(), aggregate_id: 'nope' } })).status).toBe(422);
    expect(await rawCall(open, 'POST', '/events', { 'content-type': 'application/json', expect: 'fancy' }, JSON.stringify(event()))).toBe(417);

    const batch = { events: [event(), event()] };
    batch.events.forEach((e) => Object.assign(e, { id: newId() }));
    expect((await call(open, 'POST', '/events/batch', { json: batch })).status).toBe(201);
    expect((await call(open, 'POST', '/events/batch', { json: batch })).status).toBe(200);
    expect((await call(open, 'POST', '/events/batch', { json: { events: [event(aggregateId, { expected_sequence: 0 })] } })).status).toBe(409);
    expect((await call(open, 'POST', '/events/batch', { json: { events: [] } })).status).toBe(422);

    expect((await call(open, 'GET', `/events?aggregate_id=${aggregateId}&limit=10&order=desc`)).body.events).toHaveLength(1);
    expect((await call(open, 'GET', '/events?limit=0&aggregateId=x')).body.errors.map((e: any) => e.pointer).sort()).toEqual(['/aggregateId', '/limit']);
    expect((await call(open, 'GET', `/events/${id}`)).status).toBe(200);
    expect((await call(open, 'GET', `/events/${newId()}`)).status).toBe(404);
    expect((await call(open, 'GET', '/events/not-a-uuid')).status).toBe(400);
    expect((await call(open, 'GET', `/events/stream?aggregate_id=${aggregateId}&after=0`)).status).toBe(200);
    expect((await call(open, 'GET', '/events/stream?limit=5')).status).toBe(400);
    expect((await call(open, 'GET', '/events/stream', { headers: { 'last-event-id': 'x' } })).status).toBe(400);
  });

  it('aggregates, snapshots and schemas', async () => {
    const aggregateId = newId();
    await call(open, 'POST', '/events', { json: event(aggregateId) });
    const path = `/aggregates/agent/${aggregateId}`;
    expect((await call(open, 'GET', path)).body.sequence).toBe(1);
    expect((await call(open, 'GET', `/aggregates/agent/${newId()}`)).status).toBe(404);
    expect((await call(open, 'GET', `/aggregates/Agent/${aggregateId}`)).status).toBe(400);
    expect((await call(open, 'GET', `${path}/snapshot`)).status).toBe(404);
    expect((await call(open, 'PUT', `${path}/snapshot`, { json: { sequence: 1, schema_version: 1, state: { n: 1 } } })).body.stored).toBe(true);
    expect((await call(open, 'PUT', `${path}/snapshot`, { json: { sequence: 9, schema_version: 1, state: {} } })).status).toBe(422);
    expect((await call(open, 'PUT', `${path}/snapshot`, { body: 'x', headers: { 'content-type': 'text/plain' } })).status).toBe(415);
    expect((await call(open, 'PUT', `/aggregates/agent/x/snapshot`, { json: { sequence: 1, schema_version: 1, state: {} } })).status).toBe(400);
    expect((await call(open, 'GET', `${path}/snapshot?schema_version=1`)).body.state).toEqual({ n: 1 });
    expect((await call(open, 'GET', `${path}/snapshot?schema_version=0`)).status).toBe(400);
    expect((await call(open, 'GET', '/schemas')).status).toBe(200);
  });

  it('replays: start, read, cancel, and refusals', async () => {
    const started = await call(open, 'POST', '/replays', { json: { filter: { aggregate_type: 'nothing-here', from: '2026-01-01' }, channel: 'replay:contract' } });
    expect(started.status).toBe(202);
    expect((await call(open, 'GET', `/replays/${started.body.id}`)).status).toBe(200);
    expect((await call(open, 'DELETE', `/replays/${started.body.id}`)).status).toBe(200);
    expect((await call(open, 'POST', '/replays', { json: { filter: { limit: 5 }, other: 1 } })).body.errors.map((e: any) => e.pointer).sort()).toEqual(['/filter/limit', '/other']);
    expect((await call(open, 'GET', `/replays/${newId()}`)).status).toBe(404);
    expect((await call(open, 'DELETE', `/replays/${newId()}`)).status).toBe(404);
    expect((await call(open, 'GET', '/replays/nope')).status).toBe(400);
  });

  it('lifecycle: retention policies, archive runs and the manifest, and their refusals', async () => {
    expect((await call(open, 'PUT', '/retention/contract', { json: { archive_after: 'P30D', delete_after: 'P365D' } })).status).toBe(201);
    expect((await call(open, 'PUT', '/retention/contract', { json: { archive_after: 'P30D', delete_after: null } })).status).toBe(200);
    expect((await call(open, 'PUT', '/retention/contract', { json: { archive_after: 'P30D', delete_after: 'P1D' } })).status).toBe(422);
    expect((await call(open, 'GET', '/retention')).body.policies.map((p: any) => p.aggregate_type)).toContain('contract');
    expect((await call(open, 'GET', '/retention/contract')).body.tiers).toBeDefined();
    expect((await call(open, 'GET', '/retention/Not-A-Type')).status).toBe(400);
    expect((await call(open, 'DELETE', '/retention/contract')).status).toBe(204);
    const run = await call(open, 'POST', '/archive/runs', { json: { dry_run: true } });
    expect(run.status).toBe(202);
    expect((await call(open, 'GET', `/archive/runs/${run.body.id}`)).status).toBe(200);
    expect((await call(open, 'GET', '/archive/runs')).status).toBe(200);
    expect((await call(open, 'GET', `/archive/runs/${newId()}`)).status).toBe(404);
    expect((await call(open, 'GET', '/archive/segments?limit=5')).status).toBe(200);
    expect((await call(open, 'GET', '/archive/segments?limit=0')).status).toBe(400);
  });

  it('appends resending an event deleted by retention: 410 alone and in a batch, as for reading it', async () => {
    const sent = { id: newId(), event_type: 'expired.noted', aggregate_id: newId() };
    const stored = await call(open, 'POST', '/events', { json: sent });
    await waitPublished(open.t, stored.body.position);
    await putPolicy(open.t.app, 'expired', { delete_after: 'PT0S' });
    expect(await archiveNow(open.t.app)).toMatchObject({ status: 'succeeded', deleted: 1 });
    expect((await call(open, 'DELETE', '/retention/expired')).status).toBe(204);
    expect((await call(open, 'POST', '/events', { json: sent })).status).toBe(410);
    expect((await call(open, 'POST', '/events/batch', { json: { events: [sent] } })).body).toMatchObject({ status: 410, index: 0 });
    expect((await call(open, 'GET', `/events/${sent.id}`)).status).toBe(410);
  });

  it('console: stats, the presented key, saved queries, the replay list and a replay preview', async () => {
    expect((await call(open, 'GET', '/stats?bucket=hour')).body.buckets).toBeDefined();
    expect((await call(open, 'GET', '/stats?bucket=fortnight')).status).toBe(400);
    expect((await call(open, 'GET', '/auth/key')).body.auth).toBe('open');
    expect((await call(secured, 'GET', '/auth/key', { headers: { authorization: 'Bearer reader-secret' } })).body.scopes).toEqual(['read']);
    expect((await call(open, 'PUT', '/saved-queries/contract', { json: { filter: { event_type: 'task.failed' } } })).status).toBe(201);
    expect((await call(open, 'PUT', '/saved-queries/contract', { json: { filter: { event_type: 'task.failed', order: 'desc' } } })).status).toBe(200);
    expect((await call(open, 'PUT', '/saved-queries/contract', { json: { filter: { nope: 1 } } })).status).toBe(422);
    expect((await call(open, 'GET', '/saved-queries')).body.saved_queries.map((q: any) => q.name)).toContain('contract');
    expect((await call(open, 'GET', '/saved-queries/contract')).body.filter.order).toBe('desc');
    expect((await call(open, 'DELETE', '/saved-queries/contract')).status).toBe(204);
    expect((await call(open, 'GET', '/saved-queries/contract')).status).toBe(404);
    expect((await call(open, 'GET', '/saved-queries/Not%20A%20Name')).status).toBe(400);
    expect((await call(open, 'GET', '/replays?limit=5')).status).toBe(200);
    // What the document's pattern allows is what the server takes, at the edges too.
    const pattern = new RegExp(open.document.paths['/replays'].get.parameters.find((p: any) => p.name === 'limit').schema.pattern);
    for (const limit of ['1', '100', '101', '999', '0']) {
      expect((await call(open, 'GET', `/replays?limit=${limit}`)).status === 200, limit).toBe(pattern.test(limit));
    }
    expect(open.document.paths['/stats'].get.parameters.find((p: any) => p.name === 'from').schema.pattern).toBeDefined();
    expect((await call(open, 'POST', '/replays', { json: { filter: { aggregate_type: 'nothing-here' }, dry_run: true } })).body.events).toBe(0);
    for (const path of ['/admin', '/admin/assets/app.js', '/admin/assets/app.css', '/admin/assets/lib%2Fapi.js', '/admin/assets/index.html']) {
      expect((await call(open, 'GET', path)).status, path).toBe(200);
      const etag = (await fetch(`${open.base}${path}`, { method: 'HEAD' })).headers.get('etag')!;
      expect((await call(open, 'GET', path, { headers: { 'if-none-match': etag } })).status, path).toBe(304);
    }
    expect((await call(open, 'GET', '/admin/assets/nope.js')).status).toBe(404);
  });

  it('service routes, unknown paths (404) and methods (405)', async () => {
    for (const path of ['/health', '/ready', '/metrics', '/openapi.json', '/docs', '/docs/swagger-ui.css', '/docs/swagger-ui-bundle.js']) {
      expect((await call(open, 'GET', path)).status, path).toBe(200);
    }
    expect((await call(open, 'GET', '/docs/index.html')).status).toBe(404);
    expect((await call(open, 'GET', '/nope')).status).toBe(404);
    expect((await call(open, 'DELETE', '/events')).status).toBe(405);
    expect((await call(open, 'POST', '/health', { json: {} })).status).toBe(405);
  });

  it('with API keys: 401 without or with an unknown key, 403 without the scope, 429 over the rate; open routes stay open', async () => {
    expect(secured.document.paths['/events'].post.security).toEqual([{ bearerAuth: ['write'] }]);
    expect((await call(secured, 'GET', '/events')).status).toBe(401);
    expect((await call(secured, 'GET', '/events', { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await call(secured, 'POST', '/events', { json: event(), headers: { authorization: 'Bearer reader-secret' } })).status).toBe(403);
    for (const path of ['/health', '/ready', '/openapi.json', '/docs', '/docs/swagger-ui.css']) expect((await call(secured, 'GET', path)).status, path).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 10 && !statuses.includes(429); i++) statuses.push((await call(secured, 'GET', '/schemas', { headers: { authorization: 'Bearer limited-secret' } })).status);
    expect(statuses).toContain(429);
  });

  it('with PostgreSQL unreachable: 503 problems, and health and readiness say so', async () => {
    expect((await call(down, 'POST', '/events', { json: event() })).status).toBe(503);
    expect((await call(down, 'GET', '/events')).status).toBe(503);
    expect((await call(down, 'GET', '/health')).body.postgres).toBe('unavailable');
    expect((await call(down, 'GET', '/ready')).status).toBe(503);
  });

  it('consumer groups: list, parked events and their replay, an unknown group, a bad name', async () => {
    const redis = new Redis(testRedisUrl);
    try {
      // Groups are listed per aggregate type the store holds.
      expect((await call(open, 'POST', '/events', { json: { event_type: 'task.created', aggregate_id: newId() } })).status).toBe(201);
      await redis.xgroup('CREATE', eventsStreamKey(open.t.channelPrefix, 'task'), 'billing', '$', 'MKSTREAM');
      expect((await call(open, 'GET', '/consumer-groups')).body.groups).toEqual([expect.objectContaining({ aggregate_type: 'task', group: 'billing' })]);
      expect((await call(open, 'GET', '/consumer-groups/task/billing/parked?limit=10')).status).toBe(200);
      expect((await call(open, 'POST', '/consumer-groups/task/billing/parked/replay', { json: { limit: 10 } })).body).toEqual({ replayed: 0, ids: [] });
      expect((await call(open, 'POST', '/consumer-groups/task/billing/parked/discard', { json: { ids: ['1-0'] } })).body).toEqual({ discarded: 0, ids: [] });
      expect((await call(open, 'POST', '/consumer-groups/task/nobody/parked/discard', { json: { limit: 1 } })).status).toBe(404);
      expect((await call(open, 'POST', '/consumer-groups/task/billing/parked/discard', { json: {} })).status).toBe(422);
      expect((await call(open, 'GET', '/consumer-groups/task/nobody/parked')).status).toBe(404);
      expect((await call(open, 'GET', '/consumer-groups/task/bad:name/parked')).status).toBe(400);
    } finally {
      await redis.del(eventsStreamKey(open.t.channelPrefix, 'task'));
      redis.disconnect();
    }
  });

  it('covered a success of every operation and every problem status a client can cause today', () => {
    const covered = [...open.contract.covered, ...secured.contract.covered, ...down.contract.covered];
    const operations = Object.values<any>(open.document.paths).flatMap((ops) => Object.values<any>(ops).map((op) => op.operationId));
    for (const operationId of operations) expect(covered.some((c) => new RegExp(`^${operationId} 2\\d\\d$`).test(c)), operationId).toBe(true);
    const statuses = new Set(covered.map((c) => Number(c.split(' ').pop())));
    for (const status of [400, 401, 403, 404, 405, 409, 410, 413, 415, 417, 422, 429, 503]) expect(statuses.has(status), String(status)).toBe(true);
  });
});
