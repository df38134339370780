import { request } from 'node:http';
import { connect } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, guardedService, valid } from '../support/bad-input.ts';
import { get, newId, postRaw } from '../support/http.ts';

// Bad routes, methods, parameters and HTTP: refused as problem+json, whoever refuses them.
// Whatever a file here sends, the service stays healthy and nothing stored changes but what a test accepts (guardedService).
const s = guardedService();

describe('routes', () => {
  it('answers unknown routes with 404 and wrong methods with 405, as problem+json', async () => {
    expectProblem(await get(s.t.app, '/nope'), 404);
    expectProblem(await postRaw(s.t.app, '/health', '{}', { 'content-type': 'application/json' }), 405);
    const del = await s.t.app.request(`/events/${newId()}`, { method: 'DELETE' });
    expect(del.status).toBe(405);
  });

  it('answers one trailing slash as the route itself, and a doubled one as an unknown path (404) whatever the method', async () => {
    const send = async (method: string, path: string) => {
      const res = await s.t.app.request(path, { method });
      return { status: res.status, headers: res.headers, body: await res.json().catch(() => undefined) };
    };
    expect((await send('GET', '/health/')).status).toBe(200);
    const wrongMethod = await send('POST', '/health/');
    expectProblem(wrongMethod, 405);
    expect(wrongMethod.headers.get('allow')).toBe('GET, HEAD');
    expect((await send('GET', '/events/batch/')).headers.get('allow')).toBe('POST');
    for (const [method, path] of [['GET', '/health//'], ['POST', '/health//'], ['GET', '/events//'], ['POST', '/events//'], ['POST', '/events/batch//'], ['GET', '/events/batch//']] as const) {
      const res = await send(method, path);
      expectProblem(res, 404);
      expect(res.headers.get('allow'), `${method} ${path}`).toBeNull();
    }
  });

  it('refuses __proto__ and constructor as unknown parameters on every route the document gives query parameters', async () => {
    const document = (await get(s.t.app, '/openapi.json')).body;
    const fill: Record<string, string> = { id: newId(), type: 'agent', aggregate_type: 'agent', group: 'g' };
    const routes = Object.entries(document.paths as Record<string, Record<string, { parameters?: { in: string }[] }>>)
      .filter(([, ops]) => ops.get?.parameters?.some((p) => p.in === 'query'))
      .map(([path]) => path.replace(/\{(\w+)\}/g, (_, name: string) => fill[name]!));
    expect(routes).toEqual(expect.arrayContaining(['/events', '/stats', '/replays', '/events/stream']));
    for (const route of routes) {
      for (const name of ['__proto__', 'constructor', 'zzz']) {
        const res = await get(s.t.app, `${route}?${name}=1`);
        expectProblem(res, 400);
        expect(res.body.errors.map((e: any) => e.pointer), `${route}?${name}=1`).toEqual([`/${name}`]);
      }
    }
  });

  it('lists at most 20 problems, and says how many there were', async () => {
    const filter = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, 1]));
    const res = await s.t.app.request('/saved-queries/many', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ filter }) });
    const body = (await res.json()) as { errors: { pointer: string }[]; detail: string };
    expect(res.status).toBe(422);
    expect(body.errors).toHaveLength(20);
    expect(body.errors[0]!.pointer).toBe('/filter/k0');
    expect(body.detail).toMatch(/\(the first 20 of 100 problems\)$/);
    // The same for what JSON allows and the store cannot keep (json-guard.ts): 30 lone surrogates.
    const payload = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`s${i}`, '\\ud800']));
    const text = JSON.stringify({ event_type: 'agent.noted', aggregate_id: crypto.randomUUID(), payload }).replaceAll('\\\\', '\\');
    const guarded = await s.t.app.request('/events', { method: 'POST', headers: { 'content-type': 'application/json' }, body: text });
    const refusal = (await guarded.json()) as { errors: { pointer: string }[]; detail: string };
    expect(guarded.status).toBe(422);
    expect(refusal.errors).toHaveLength(20);
    expect(refusal.errors[0]!.pointer).toBe('/payload/s0');
    expect(refusal.detail).toBe('the body holds JSON that cannot be stored as sent (the first 20 of 30 problems)');
  });

  it('does not take /events/batch for an event id: GET and PUT there are 405 with Allow: POST', async () => {
    for (const method of ['GET', 'PUT']) {
      const res = await s.t.app.request('/events/batch', { method });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    }
  });
});

describe('requests refused before any route: by Node\'s HTTP parser, its Expect handling, or the Hono adapter', () => {
  let port: number;
  beforeAll(async () => {
    ({ port } = await s.t.service.listen());
  });

  // Raw bytes over TCP: these never reach the app.
  async function raw(request: string, { halfClose = true } = {}): Promise<{ status: number; headers: string; body: any }> {
    const socket = connect(port, '127.0.0.1');
    // Half-closed: the refusals come at once; a route's answer, made later, did not come back on a half-closed socket.
    if (halfClose) socket.end(request);
    else socket.write(request);
    let text = '';
    for await (const chunk of socket) text += chunk;
    const [head, body] = text.split('\r\n\r\n');
    return { status: Number(head!.split(' ')[1]), headers: head!.toLowerCase(), body: JSON.parse(body!) };
  }

  it.each([
    ['a negative Content-Length', 'POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: -1\r\n\r\n{}', 400],
    ['headers over 16 KiB', `GET /events?correlation_id=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 431],
    ['not HTTP', 'GARBAGE\r\n\r\n', 400],
    ['a backslash in the path', 'GET /events\\x HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['a Host that is no host', 'GET /health HTTP/1.1\r\nHost: a b\r\n\r\n', 400],
    ['an absolute URL that is no URL', 'GET http://[::1/health HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['CONNECT, a proxy\'s method', 'CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n', 405],
    ['two Host headers', 'GET /health HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n', 400],
    ['an HTTP/1.1 request without Host', 'POST /events HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}', 400],
    ['an expectation other than 100-continue', 'POST /events HTTP/1.1\r\nHost: x\r\nExpect: foo\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}', 417],
  ])('answers %s with problem+json too', async (_, request, status) => {
    const res = await raw(request);
    expect(res.status).toBe(status);
    expect(res.headers).toContain('content-type: application/problem+json');
    expect(res.body).toMatchObject({ status, type: expect.stringMatching(/^\/problems\//), detail: expect.any(String) });
  });

  it('serves an HTTP/1.0 request without Host, which that version allows', async () => {
    const res = await raw('GET /health HTTP/1.0\r\n\r\n', { halfClose: false });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
  });

  it('still answers Expect: 100-continue with 100 Continue, then takes the body', async () => {
    const body = JSON.stringify({ ...valid(), aggregate_type: 'agent' });
    const res = await new Promise<{ status: number; continued: boolean; text: string }>((resolve, reject) => {
      let continued = false;
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/events', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue' } });
      req.on('continue', () => {
        continued = true;
        req.end(body);
      });
      req.on('response', (r) => {
        let text = '';
        r.setEncoding('utf8').on('data', (c) => (text += c)).on('end', () => resolve({ status: r.statusCode!, continued, text }));
      });
      req.on('error', reject);
    });
    expect(res).toMatchObject({ status: 201, continued: true });
    await s.accept();
  });
});
