import { deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { storedNumberLength } from '../../src/events/json-guard.ts';
import { expectProblem, guardedService, LIMIT, valid } from '../support/bad-input.ts';
import { get, newId, postJson, postRaw } from '../support/http.ts';
import { startTestService } from '../support/service.ts';

// Bad bodies and fields, each refused with a 4xx naming the place; nothing stored changes (guardedService).
const s = guardedService();

describe('bodies', () => {
  it.each([
    ['empty', ''],
    ['truncated', '{'],
    ['trailing garbage', '{}x'],
    ['single quotes', "{'a':1}"],
    ['NaN literal', '{"event_type":"agent.created","aggregate_id":"550e8400-e29b-41d4-a716-446655440000","payload":{"a":NaN}}'],
  ])('malformed JSON (%s) → 400', async (_, body) => {
    expectProblem(await postRaw(s.t.app, '/events', body, { 'content-type': 'application/json' }), 400);
  });

  it.each([['[]'], ['null'], ['"x"'], ['1'], ['true']])('a well-formed body that is not an event (%s) → 422', async (body) => {
    expectProblem(await postRaw(s.t.app, '/events', body, { 'content-type': 'application/json' }), 422);
  });

  it('invalid UTF-8 → 400 (never silently replaced by U+FFFD)', async () => {
    const bytes = Buffer.concat([Buffer.from('{"event_type":"agent.created","aggregate_id":"550e8400-e29b-41d4-a716-446655440000","payload":{"a":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}}')]);
    expectProblem(await postRaw(s.t.app, '/events', bytes, { 'content-type': 'application/json' }), 400);
  });

  it.each([
    ['no content type', undefined],
    ['text/plain', 'text/plain'],
    ['form', 'application/x-www-form-urlencoded'],
    ['UTF-16 JSON', 'application/json; charset=utf-16'],
  ])('%s → 415', async (_, contentType) => {
    const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
    expectProblem(await postRaw(s.t.app, '/events', JSON.stringify(valid()), headers), 415);
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
      const res = await postRaw(s.t.app, path, encode(JSON.stringify(body)), { 'content-type': 'application/json', 'content-encoding': coding });
      expectProblem(res, 415);
      expect(res.body).toMatchObject({ type: '/problems/unsupported-media-type', detail: expect.stringContaining('identity') });
      expect(res.headers.get('accept-encoding')).toBe('identity');
    }
  });

  it('accepts Content-Encoding: identity, in any case, and an empty one', async () => {
    for (const coding of ['identity', 'IDENTITY', '']) {
      expect((await postRaw(s.t.app, '/events', JSON.stringify(valid()), { 'content-type': 'application/json', 'content-encoding': coding })).status, coding).toBe(201);
    }
    await s.accept();
  });

  it('accepts charset=utf-8, a +json media type and a UTF-8 byte order mark', async () => {
    expect((await postRaw(s.t.app, '/events', JSON.stringify(valid()), { 'content-type': 'application/json; charset=UTF-8' })).status).toBe(201);
    expect((await postRaw(s.t.app, '/events', JSON.stringify(valid()), { 'content-type': 'application/vnd.events+json' })).status).toBe(201);
    expect((await postRaw(s.t.app, '/events', '\ufeff' + JSON.stringify(valid()), { 'content-type': 'application/json' })).status).toBe(201);
    await s.accept();
  });

  const sized = (size: number) => {
    const base = JSON.stringify({ ...valid(), payload: { pad: '' } });
    return JSON.stringify({ ...JSON.parse(base), payload: { pad: 'x'.repeat(size - base.length) } });
  };

  it('accepts a body of exactly the limit and refuses one byte more with 413', async () => {
    const exact = sized(LIMIT);
    expect(Buffer.byteLength(exact)).toBe(LIMIT);
    expect((await postJson(s.t.app, '/events', exact)).status).toBe(201);
    await s.accept();
    const over = await postJson(s.t.app, '/events', sized(LIMIT + 1));
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
    const res = await s.t.app.request(req);
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
    const res = await postJson(s.t.app, '/events', payloadText(inner));
    expectProblem(res, 422);
    expect(res.body.errors.map((e: any) => e.pointer)).toContain(pointer);
  });

  it('refuses nesting deeper than 64 levels, up to 100k levels, without a stack overflow', async () => {
    for (const depth of [65, 1000, 100_000]) {
      const service = depth > 1000 ? await startTestService({ MAX_BODY_BYTES: String(1024 * 1024) }, s.t.databaseUrl) : s.t;
      const res = await postJson(service.app, '/events', payloadText(`{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`));
      expectProblem(res, 422);
      if (service !== s.t) await service.close();
    }
  });

  it('refuses numbers in exponent form that, written out in full as jsonb stores them, would grow the body past its limit', async () => {
    // 1e300 is 5 bytes sent and 301 stored: 14 of them pass 4 KiB once stored, 10 do not.
    const numbers = (n: number) => `{"a":[${Array(n).fill('1e300').join(',')}]}`;
    const refused = await postJson(s.t.app, '/events', payloadText(numbers(14)));
    expectProblem(refused, 422);
    expect(refused.body.errors).toEqual([{ pointer: expect.stringMatching(/^\/payload\/a\/1[1-3]$/), detail: expect.stringMatching(/exponent form.*4096 bytes/) }]);
    const batch = await postJson(s.t.app, '/events/batch', `{"events":[${Array.from({ length: 3 }, () => payloadText(numbers(5))).join(',')}]}`);
    expectProblem(batch, 422);
    const accepted = await postJson(s.t.app, '/events', payloadText(numbers(10)));
    expect(accepted.status).toBe(201);
    expect((await get(s.t.app, `/events/${accepted.body.id}`)).body.payload).toEqual({ a: Array(10).fill(1e300) });
    await s.accept();
  });

  it('stores -0 as 0, as documented: the one number it changes rather than refuses', async () => {
    const res = await postJson(s.t.app, '/events', payloadText('{"z":-0,"y":-0.0}'));
    expect(res.status).toBe(201);
    expect((await get(s.t.app, `/events/${res.body.id}`)).text).toContain('"payload":{"y": 0, "z": 0}');
    await s.accept();
  });

  it('counts the bytes a number takes once stored as PostgreSQL writes it (property)', async () => {
    const token = fc.tuple(fc.boolean(), fc.stringMatching(/^(0|[1-9]\d{0,5})$/), fc.option(fc.stringMatching(/^\d{1,5}$/)), fc.option(fc.integer({ min: -400, max: 400 })))
      .map(([negative, integer, fraction, exponent]) => `${negative ? '-' : ''}${integer}${fraction === null ? '' : `.${fraction}`}${exponent === null ? '' : `e${exponent}`}`);
    const tokens = fc.sample(token, 500);
    const stored = await s.t.sql<{ length: number }[]>`select length(x::jsonb::text) as length from unnest(${tokens}::text[]) with ordinality as u(x, i) order by i`;
    expect(tokens.map((k) => storedNumberLength(k))).toEqual(stored.map((r) => r.length));
  });

  it('keeps what it accepts exactly: valid pairs, escapes, big-but-exact numbers, 64 levels', async () => {
    const payload = { emoji: '😀', escaped: '\ud83d\ude00', quote: '"\\/\b\f\n\r\t', max: 9007199254740991, small: 5e-324, big: 1e300, neg: -0.5, deep: JSON.parse('['.repeat(62) + ']'.repeat(62)) };
    const res = await postJson(s.t.app, '/events', { ...valid(), payload });
    expect(res.status).toBe(201);
    expect((await get(s.t.app, `/events/${res.body.id}`)).body.payload).toEqual(payload);
    await s.accept();
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
    const res = await postJson(s.t.app, '/events', { ...valid(), ...override });
    expectProblem(res, 422);
    expect(res.body.type).toBe('/problems/validation-failed');
    expect(res.body.errors.map((e: any) => e.pointer)).toContain(pointer);
  });

  it('accepts a correlation id of exactly 1024 bytes, and finds it', async () => {
    const correlationId = 'é'.repeat(511) + 'cc';
    expect((await postJson(s.t.app, '/events', { ...valid(), metadata: { correlation_id: correlationId } })).status).toBe(201);
    await s.accept();
    const found = await get(s.t.app, `/events?correlation_id=${encodeURIComponent(correlationId)}`);
    expect(found.body.events.map((e: any) => e.metadata.correlation_id)).toEqual([correlationId]);
  });

  it('refuses a batch whose one item has an oversized correlation id, naming it', async () => {
    const res = await postJson(s.t.app, '/events/batch', { events: [valid(), { ...valid(), metadata: { correlation_id: 'c'.repeat(3_000) } }] });
    expectProblem(res, 422);
    expect(res.body.errors.map((e: any) => e.pointer)).toEqual(['/events/1/metadata/correlation_id']);
  });

  it('names every bad field at once', async () => {
    const res = await postJson(s.t.app, '/events', { event_type: 'x', aggregate_id: 'y', version: 0 });
    expect(res.body.errors.map((e: any) => e.pointer).sort()).toEqual(['/aggregate_id', '/event_type', '/version']);
  });

  it('refuses bad items of a batch by index', async () => {
    const res = await postJson(s.t.app, '/events/batch', { events: [valid(), { ...valid(), aggregate_id: 'nope' }] });
    expectProblem(res, 422);
    expect(res.body.errors[0].pointer).toBe('/events/1/aggregate_id');
    expectProblem(await postJson(s.t.app, '/events/batch', { events: 'x' }), 422);
    expectProblem(await postJson(s.t.app, '/events/batch', [valid()]), 422);
  });
});
