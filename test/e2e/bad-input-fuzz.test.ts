import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { guardedService } from '../support/bad-input.ts';
import { get, newId, postJson, postRaw } from '../support/http.ts';

// Whatever a file here sends, the service stays healthy and nothing stored changes but what a test accepts (guardedService).
const s = guardedService();

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
          const res = await postJson(s.t.app, '/events', sent);
          expect([200, 201, 400, 409, 413, 422]).toContain(res.status);
          if (res.status >= 400) {
            expect(res.headers.get('content-type')).toBe('application/problem+json');
            expect(res.body.status).toBe(res.status);
          } else {
            const back = await get(s.t.app, `/events/${res.body.id}`);
            expect(back.body.payload).toEqual(JSON.parse(sent).payload);
          }
        },
      ),
      { numRuns: 300 },
    );
    await s.accept();
  });

  it('never answers 5xx to arbitrary bytes and content types', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary', maxLength: 64 }),
        fc.constantFrom(undefined, 'application/json', 'text/plain', 'application/json; charset=utf-16'),
        async (raw, contentType) => {
          const res = await postRaw(s.t.app, '/events', raw, contentType ? { 'content-type': contentType } : {});
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
        const res = await get(s.t.app, `/events?${qs}`);
        expect([200, 400]).toContain(res.status);
        if (res.status === 200) expect(res.body.events.length).toBeLessThanOrEqual(1000);
      }),
      { numRuns: 300 },
    );
  });
});
