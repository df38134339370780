import { request } from 'node:http';
import { connect } from 'node:net';
import { deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedNumberLength } from '../../src/events/json-guard.ts';
import { get, newId, postJson, postRaw } from '../support/http.ts';
import { startTestService, type TestService } from '../support/service.ts';

// A small body limit makes the exact-limit cases cheap; the default (1 MiB) is tested apart.
const LIMIT = 4096;
let t: TestService;
let fingerprint: string;

const storeFingerprint = async () =>
  JSON.stringify(await t.sql`select count(*)::int as n, coalesce(max(position), 0)::int as head, md5(coalesce(string_agg(event_json(e), ',' order by position), '')) as h from events e`);

beforeAll(async () => {
  t = await startTestService({ MAX_BODY_BYTES: String(LIMIT), PORT: '0', HOST: '127.0.0.1' });
  await postJson(t.app, '/events', { event_type: 'agent.created', aggregate_id: newId(), payload: { keep: 'me' } });
  fingerprint = await storeFingerprint();
});
afterAll(async () => {
  // Whatever came before: the service is healthy and nothing stored has changed.
  expect((await get(t.app, '/health')).status).toBe(200);
  expect(await storeFingerprint()).toBe(fingerprint);
  await t.close();
});

function expectProblem(res: { status: number; headers: Headers; body: any }, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect(res.body).toMatchObject({ status, title: expect.any(String), detail: expect.any(String), type: expect.stringMatching(/^\/problems\//) });
}

const valid = () => ({ event_type: 'agent.created', aggregate_id: newId() });

describe('bodies', () => {
  it.each([
    ['empty', ''],
    ['truncated', '{'],
    ['trailing garbage', '{}x'],
    ['single quotes', "{'a':1}"],
    ['NaN literal', '{"event_type":"agent.created","aggregate_id":"550e8400-e29b-41d4-a716-446655440000","payload":{"a":NaN}}'],
  ])('malformed JSON (%s) → 400', async (_, body) => {
    expectProblem(await postRaw(t.app, '/events', body, { 'content-type': 'application/json' }), 400);
  });

  it.each([['[]'], ['null'], ['"x"'], ['1'], ['true']])('a well-formed body that is not an event (%s) → 422', async (body) => {
    expectProblem(await postRaw(t.app, '/events', body, { 'content-type': 'application/json' }), 422);
  });

  it('invalid UTF-8 → 400 (never silently replaced by U+FFFD)', async () => {
    const bytes = Buffer.concat([Buffer.from('{"event_type":"agent.created","aggregate_id":"550e8400-e29b-41d4-a716-446655440000","payload":{"a":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}}')]);
    expectProblem(await postRaw(t.app, '/events', bytes, { 'content-type': 'application/json' }), 400);
  });

  it.each([
    ['no content type', undefined],
    ['text/plain', 'text/plain'],
    ['form', 'application/x-www-form-urlencoded'],
    ['UTF-16 JSON', 'application/json; charset=utf-16'],
  ])('%s → 415', async (_, contentType) => {
    const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
    expectProblem(await postRaw(t.app, '/events', JSON.stringify(valid()), headers), 415);
  });

  it.each([
    ['plain JSON labelled gzip', 'gzip', (s: string) => s],
    ['a real gzip body', 'gzip', (s: string) => gzipSync(s)],
    ['a real deflate body', 'deflate', (s: string) => deflateSync(s)],
    ['br', 'br', (s: string) => s],
    ['a list ending in gzip', 'identity, gzip', (s: string) => gzipSync(s)],
    ['an unknown coding', 'x-custom', (s: string) => s],
  ])('a body with a content coding (%s) → 415 saying only identity is accepted', async (_, coding, encode) => {
    for (const path of ['/events', '/events/batch']) {
      const body = path === '/events' ? valid() : { events: [valid()] };
      const res = await postRaw(t.app, path, encode(JSON.stringify(body)), { 'content-type': 'application/json', 'content-encoding': coding });
      expectProblem(res, 415);
      expect(res.body).toMatchObject({ type: '/problems/unsupported-media-type', detail: expect.stringContaining('identity') });
      expect(res.headers.get('accept-encoding')).toBe('identity');
    }
  });

  it('accepts Content-Encoding: identity, in any case, and an empty one', async () => {
    for (const coding of ['identity', 'IDENTITY', '']) {
      expect((await postRaw(t.app, '/events', JSON.stringify(valid()), { 'content-type': 'application/json', 'content-encoding': coding })).status, coding).toBe(201);
    }
    fingerprint = await storeFingerprint();
  });

  it('accepts charset=utf-8, a +json media type and a UTF-8 byte order mark', async () => {
    expect((await postRaw(t.app, '/events', JSON.stringify(valid()), { 'content-type': 'application/json; charset=UTF-8' })).status).toBe(201);
    expect((await postRaw(t.app, '/events', JSON.stringify(valid()), { 'content-type': 'application/vnd.events+json' })).status).toBe(201);
    expect((await postRaw(t.app, '/events', '\ufeff' + JSON.stringify(valid()), { 'content-type': 'application/json' })).status).toBe(201);
    fingerprint = await storeFingerprint();
  });

  const sized = (size: number) => {
    const base = JSON.stringify({ ...valid(), payload: { pad: '' } });
    return JSON.stringify({ ...JSON.parse(base), payload: { pad: 'x'.repeat(size - base.length) } });
  };

  it('accepts a body of exactly the limit and refuses one byte more with 413', async () => {
    const exact = sized(LIMIT);
    expect(Buffer.byteLength(exact)).toBe(LIMIT);
    expect((await postJson(t.app, '/events', exact)).status).toBe(201);
    fingerprint = await storeFingerprint();
    const over = await postJson(t.app, '/events', sized(LIMIT + 1));
    expectProblem(over, 413);
    expect(over.body.limit_bytes).toBe(LIMIT);
  });

  it('refuses an oversized chunked body without Content-Length with 413', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(1024));
    let sent = 0;
    const stream = new ReadableStream({
      pull(controller) {
        if (sent++ < 10) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const req = new Request('http://local/events', { method: 'POST', body: stream, headers: { 'content-type': 'application/json' }, duplex: 'half' } as RequestInit);
    const res = await t.app.request(req);
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
  });
});

describe('JSON that PostgreSQL or JavaScript would refuse or change → 422 naming the place', () => {
  const payloadText = (inner: string) => `{"event_type":"agent.created","aggregate_id":"${newId()}","payload":${inner}}`;
  it.each([
    ['NUL in a value', '{"a":"x\\u0000y"}', '/payload/a'],
    ['NUL in a key', '{"a\\u0000":1}', '/payload/a\u0000'],
    ['lone high surrogate', '{"a":"\\ud800"}', '/payload/a'],
    ['lone low surrogate', '{"a":"x\\udc00"}', '/payload/a'],
    ['reversed pair', '{"a":"\\udc00\\ud800"}', '/payload/a'],
    ['integer beyond 2^53', '{"a":12345678901234567890}', '/payload/a'],
    ['decimal beyond double precision', '{"a":[1,3.14159265358979323846]}', '/payload/a/1'],
    ['number overflowing to Infinity', '{"a":1e1000000}', '/payload/a'],
    ['number underflowing to 0', '{"a":1e-400}', '/payload/a'],
    ['200k-digit integer', `{"a":${'9'.repeat(2000)}}`, '/payload/a'],
    ['duplicate keys', '{"a":1,"a":2}', '/payload/a'],
    ['__proto__ key', '{"__proto__":{"polluted":true}}', '/payload/__proto__'],
    ['nested __proto__ key', '{"a":[{"b":{"__proto__":1}}]}', '/payload/a/0/b/__proto__'],
  ])('%s', async (_, inner, pointer) => {
    const res = await postJson(t.app, '/events', payloadText(inner));
    expectProblem(res, 422);
    expect(res.body.errors.map((e: any) => e.pointer)).toContain(pointer);
  });

  it('refuses nesting deeper than 64 levels, up to 100k levels, without a stack overflow', async () => {
    for (const depth of [65, 1000, 100_000]) {
      const service = depth > 1000 ? await startTestService({ MAX_BODY_BYTES: String(1024 * 1024) }, t.databaseUrl) : t;
      const res = await postJson(service.app, '/events', payloadText(`{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`));
      expectProblem(res, 422);
      if (service !== t) await service.close();
    }
  });

  it('refuses numbers in exponent form that, written out in full as jsonb stores them, would grow the body past its limit', async () => {
    // 1e300 is 5 bytes sent and 301 stored: 14 of them pass 4 KiB once stored, 10 do not.
    const numbers = (n: number) => `{"a":[${Array(n).fill('1e300').join(',')}]}`;
    const refused = await postJson(t.app, '/events', payloadText(numbers(14)));
    expectProblem(refused, 422);
    expect(refused.body.errors).toEqual([{ pointer: expect.stringMatching(/^\/payload\/a\/1[1-3]$/), detail: expect.stringMatching(/exponent form.*4096 bytes/) }]);
    const batch = await postJson(t.app, '/events/batch', `{"events":[${Array.from({ length: 3 }, () => payloadText(numbers(5))).join(',')}]}`);
    expectProblem(batch, 422);
    const accepted = await postJson(t.app, '/events', payloadText(numbers(10)));
    expect(accepted.status).toBe(201);
    expect((await get(t.app, `/events/${accepted.body.id}`)).body.payload).toEqual({ a: Array(10).fill(1e300) });
    fingerprint = await storeFingerprint();
  });

  it('stores -0 as 0, as documented: the one number it changes rather than refuses', async () => {
    const res = await postJson(t.app, '/events', payloadText('{"z":-0,"y":-0.0}'));
    expect(res.status).toBe(201);
    expect((await get(t.app, `/events/${res.body.id}`)).text).toContain('"payload":{"y": 0, "z": 0}');
    fingerprint = await storeFingerprint();
  });

  it('counts the bytes a number takes once stored as PostgreSQL writes it (property)', async () => {
    const token = fc.tuple(fc.boolean(), fc.stringMatching(/^(0|[1-9]\d{0,5})$/), fc.option(fc.stringMatching(/^\d{1,5}$/)), fc.option(fc.integer({ min: -400, max: 400 })))
      .map(([negative, integer, fraction, exponent]) => `${negative ? '-' : ''}${integer}${fraction === null ? '' : `.${fraction}`}${exponent === null ? '' : `e${exponent}`}`);
    const tokens = fc.sample(token, 500);
    const stored = await t.sql<{ length: number }[]>`select length(x::jsonb::text) as length from unnest(${tokens}::text[]) with ordinality as u(x, i) order by i`;
    expect(tokens.map((k) => storedNumberLength(k))).toEqual(stored.map((r) => r.length));
  });

  it('keeps what it accepts exactly: valid pairs, escapes, big-but-exact numbers, 64 levels', async () => {
    const payload = { emoji: '😀', escaped: '\ud83d\ude00', quote: '"\\/\b\f\n\r\t', max: 9007199254740991, small: 5e-324, big: 1e300, neg: -0.5, deep: JSON.parse('['.repeat(62) + ']'.repeat(62)) };
    const res = await postJson(t.app, '/events', { ...valid(), payload });
    expect(res.status).toBe(201);
    expect((await get(t.app, `/events/${res.body.id}`)).body.payload).toEqual(payload);
    fingerprint = await storeFingerprint();
  });
});

describe('envelope fields → 422 naming each field', () => {
  const cases: [string, object, string][] = [
    ['aggregate_type *', { aggregate_type: '*' }, '/aggregate_type'],
    ['aggregate_type ord*', { aggregate_type: 'ord*' }, '/aggregate_type'],
    ['aggregate_type a?b', { aggregate_type: 'a?b' }, '/aggregate_type'],
    ['aggregate_type [ab]', { aggregate_type: '[ab]' }, '/aggregate_type'],
    ['aggregate_type backslash', { aggregate_type: '\\' }, '/aggregate_type'],
    ['aggregate_type with colon', { aggregate_type: 'order:item' }, '/aggregate_type'],
    ['aggregate_type with space', { aggregate_type: 'a b' }, '/aggregate_type'],
    ['aggregate_type CRLF', { aggregate_type: 'a\r\nb' }, '/aggregate_type'],
    ['aggregate_type empty', { aggregate_type: '' }, '/aggregate_type'],
    ['aggregate_type 3 KB', { aggregate_type: 'a'.repeat(3_000) }, '/aggregate_type'],
    ['aggregate_type uppercase', { aggregate_type: 'Agent' }, '/aggregate_type'],
    ['aggregate_type homoglyph', { aggregate_type: 'аgent' }, '/aggregate_type'],
    ['aggregate_type not the prefix', { aggregate_type: 'task' }, '/aggregate_type'],
    ['event_type without dot', { event_type: 'created' }, '/event_type'],
    ['event_type with two dots', { event_type: 'agent.created.now' }, '/event_type'],
    ['event_type glob', { event_type: 'agent.*' }, '/event_type'],
    ['event_type missing', { event_type: undefined }, '/event_type'],
    ['event_type a number', { event_type: 5 }, '/event_type'],
    ['aggregate_id not a UUID', { aggregate_id: 'abc' }, '/aggregate_id'],
    ['aggregate_id in braces', { aggregate_id: '{550e8400-e29b-41d4-a716-446655440000}' }, '/aggregate_id'],
    ['aggregate_id nil', { aggregate_id: '00000000-0000-0000-0000-000000000000' }, '/aggregate_id'],
    ['aggregate_id missing', { aggregate_id: undefined }, '/aggregate_id'],
    ['id not a UUID', { id: 'x' }, '/id'],
    ['payload an array', { payload: [1] }, '/payload'],
    ['payload null', { payload: null }, '/payload'],
    ['payload a string', { payload: 'x' }, '/payload'],
    ['metadata an array', { metadata: [] }, '/metadata'],
    ['version 0', { version: 0 }, '/version'],
    ['version -1', { version: -1 }, '/version'],
    ['version 2147483648', { version: 2147483648 }, '/version'],
    ['version 1.5', { version: 1.5 }, '/version'],
    ['version "1"', { version: '1' }, '/version'],
    ['version null', { version: null }, '/version'],
    ['expected_sequence -1', { expected_sequence: -1 }, '/expected_sequence'],
    ['expected_sequence 1.5', { expected_sequence: 1.5 }, '/expected_sequence'],
    ['expected_sequence "0"', { expected_sequence: '0' }, '/expected_sequence'],
    ['unknown field', { sequence: 3 }, ''],
    // Indexed as text: past a btree entry's size PostgreSQL refused the row (a 500).
    ['metadata.correlation_id of 3,000 characters', { metadata: { correlation_id: 'c'.repeat(3_000) } }, '/metadata/correlation_id'],
    ['metadata.correlation_id of 1,025 bytes', { metadata: { correlation_id: 'é'.repeat(512) + 'c' } }, '/metadata/correlation_id'],
    ['metadata.correlation_id an object of 3 KB', { metadata: { correlation_id: { pad: 'x'.repeat(3_000) } } }, '/metadata/correlation_id'],
  ];
  it.each(cases)('%s', async (_, override, pointer) => {
    const res = await postJson(t.app, '/events', { ...valid(), ...override });
    expectProblem(res, 422);
    expect(res.body.type).toBe('/problems/validation-failed');
    expect(res.body.errors.map((e: any) => e.pointer)).toContain(pointer);
  });

  it('accepts a correlation id of exactly 1024 bytes, and finds it', async () => {
    const correlationId = 'é'.repeat(511) + 'cc';
    expect((await postJson(t.app, '/events', { ...valid(), metadata: { correlation_id: correlationId } })).status).toBe(201);
    fingerprint = await storeFingerprint();
    const found = await get(t.app, `/events?correlation_id=${encodeURIComponent(correlationId)}`);
    expect(found.body.events.map((e: any) => e.metadata.correlation_id)).toEqual([correlationId]);
  });

  it('refuses a batch whose one item has an oversized correlation id, naming it', async () => {
    const res = await postJson(t.app, '/events/batch', { events: [valid(), { ...valid(), metadata: { correlation_id: 'c'.repeat(3_000) } }] });
    expectProblem(res, 422);
    expect(res.body.errors.map((e: any) => e.pointer)).toEqual(['/events/1/metadata/correlation_id']);
  });

  it('names every bad field at once', async () => {
    const res = await postJson(t.app, '/events', { event_type: 'x', aggregate_id: 'y', version: 0 });
    expect(res.body.errors.map((e: any) => e.pointer).sort()).toEqual(['/aggregate_id', '/event_type', '/version']);
  });

  it('refuses bad items of a batch by index', async () => {
    const res = await postJson(t.app, '/events/batch', { events: [valid(), { ...valid(), aggregate_id: 'nope' }] });
    expectProblem(res, 422);
    expect(res.body.errors[0].pointer).toBe('/events/1/aggregate_id');
    expectProblem(await postJson(t.app, '/events/batch', { events: 'x' }), 422);
    expectProblem(await postJson(t.app, '/events/batch', [valid()]), 422);
  });
});

describe('routes', () => {
  it('answers unknown routes with 404 and wrong methods with 405, as problem+json', async () => {
    expectProblem(await get(t.app, '/nope'), 404);
    expectProblem(await postRaw(t.app, '/health', '{}', { 'content-type': 'application/json' }), 405);
    const del = await t.app.request(`/events/${newId()}`, { method: 'DELETE' });
    expect(del.status).toBe(405);
  });

  it('answers one trailing slash as the route itself, and a doubled one as an unknown path (404) whatever the method', async () => {
    const send = async (method: string, path: string) => {
      const res = await t.app.request(path, { method });
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
    const document = (await get(t.app, '/openapi.json')).body;
    const fill: Record<string, string> = { id: newId(), type: 'agent', aggregate_type: 'agent', group: 'g' };
    const routes = Object.entries(document.paths as Record<string, Record<string, { parameters?: { in: string }[] }>>)
      .filter(([, ops]) => ops.get?.parameters?.some((p) => p.in === 'query'))
      .map(([path]) => path.replace(/\{(\w+)\}/g, (_, name: string) => fill[name]!));
    expect(routes).toEqual(expect.arrayContaining(['/events', '/stats', '/replays', '/events/stream']));
    for (const route of routes) {
      for (const name of ['__proto__', 'constructor', 'zzz']) {
        const res = await get(t.app, `${route}?${name}=1`);
        expectProblem(res, 400);
        expect(res.body.errors.map((e: any) => e.pointer), `${route}?${name}=1`).toEqual([`/${name}`]);
      }
    }
  });

  it('does not take /events/batch for an event id: GET and PUT there are 405 with Allow: POST', async () => {
    for (const method of ['GET', 'PUT']) {
      const res = await t.app.request('/events/batch', { method });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    }
  });
});

describe('requests refused before any route: by Node\'s HTTP parser, its Expect handling, or the Hono adapter', () => {
  let port: number;
  beforeAll(async () => {
    ({ port } = await t.service.listen());
  });

  // Raw bytes over TCP: these never reach the app.
  async function raw(request: string): Promise<{ status: number; headers: string; body: any }> {
    const socket = connect(port, '127.0.0.1');
    socket.end(request);
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
    ['an expectation other than 100-continue', 'POST /events HTTP/1.1\r\nHost: x\r\nExpect: foo\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}', 417],
  ])('answers %s with problem+json too', async (_, request, status) => {
    const res = await raw(request);
    expect(res.status).toBe(status);
    expect(res.headers).toContain('content-type: application/problem+json');
    expect(res.body).toMatchObject({ status, type: expect.stringMatching(/^\/problems\//), detail: expect.any(String) });
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
    fingerprint = await storeFingerprint();
  });
});

describe('fuzzing (fast-check)', () => {
  const tricky = fc.constantFrom('\u0000', '\ud800', '\udc00', '\ud83d\ude00', '"', '\\', '__proto__', 'constructor', '*', ':');
  const text = fc.string({ unit: fc.oneof(tricky, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })) , maxLength: 12 });
  const json = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, fc.constant(null), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), text, tie('array'), tie('object')),
    array: fc.array(tie('value'), { maxLength: 4 }),
    object: fc.dictionary(text, tie('value'), { maxKeys: 4 }),
  }));

  it('never answers 5xx; errors are problem+json; accepted payloads read back deep-equal', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ event_type: fc.oneof(fc.constant('agent.created'), text), aggregate_type: fc.option(text, { nil: undefined }), payload: json.object, metadata: fc.option(json.value, { nil: undefined }) }),
        async (body) => {
          const sent = JSON.stringify({ ...body, aggregate_id: newId() });
          const res = await postJson(t.app, '/events', sent);
          expect([200, 201, 400, 409, 413, 422]).toContain(res.status);
          if (res.status >= 400) {
            expect(res.headers.get('content-type')).toBe('application/problem+json');
            expect(res.body.status).toBe(res.status);
          } else {
            const back = await get(t.app, `/events/${res.body.id}`);
            expect(back.body.payload).toEqual(JSON.parse(sent).payload);
          }
        },
      ),
      { numRuns: 300 },
    );
    fingerprint = await storeFingerprint();
  });

  it('never answers 5xx to arbitrary bytes and content types', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary', maxLength: 64 }),
        fc.constantFrom(undefined, 'application/json', 'text/plain', 'application/json; charset=utf-16'),
        async (raw, contentType) => {
          const res = await postRaw(t.app, '/events', raw, contentType ? { 'content-type': contentType } : {});
          expect([400, 413, 415, 422]).toContain(res.status);
          expect(res.headers.get('content-type')).toBe('application/problem+json');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never answers 5xx to arbitrary query strings', async () => {
    const key = fc.constantFrom('limit', 'after', 'offset', 'from', 'to', 'order', 'aggregate_type', 'aggregate_id', 'event_type', 'correlation_id', 'x');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(key, fc.string({ unit: 'binary', maxLength: 20 })), { maxLength: 4 }), async (pairs) => {
        const qs = new URLSearchParams(pairs).toString();
        const res = await get(t.app, `/events?${qs}`);
        expect([200, 400]).toContain(res.status);
        if (res.status === 200) expect(res.body.events.length).toBeLessThanOrEqual(1000);
      }),
      { numRuns: 300 },
    );
  });
});
