import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSse } from '../support/sse.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { waitUntil } from '../support/wait.ts';

let t: TestService;
beforeAll(async () => {
  t = await startTestService({ SSE_MAX_STREAMS: '2' });
});
afterAll(() => t.close());

const connected = async () => {
  const stream = readSse(await t.app.request('/events/stream?aggregate_type=nothing'));
  expect(await stream.waitFor(() => stream.events.some((e) => e.comment === 'connected'))).toBe(true);
  return stream;
};

describe('GET /events/stream, SSE_MAX_STREAMS', () => {
  it('refuses a stream beyond the limit with 429 and Retry-After, and takes one again once a stream closes', async () => {
    const [a, b] = [await connected(), await connected()];
    try {
      const refused = await t.app.request('/events/stream?aggregate_type=nothing');
      expect(refused.status).toBe(429);
      expect(refused.headers.get('content-type')).toBe('application/problem+json');
      expect(refused.headers.get('retry-after')).toBe('5');
      expect(await refused.json()).toMatchObject({ type: '/problems/rate-limited', limit_streams: 2 });
      await a.close();
      expect(await waitUntil(async () => {
        const res = await t.app.request('/events/stream?aggregate_type=nothing');
        await res.body?.cancel();
        return res.status === 200;
      })).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('counts a stream from its admission: requests arriving together cannot pass the limit while each reads its first page', async () => {
    const answers = await Promise.all(Array.from({ length: 30 }, () => t.app.request('/events/stream?after=0&correlation_id=nothing-matches')));
    try {
      expect(answers.filter((r) => r.status === 200)).toHaveLength(2);
      expect(answers.filter((r) => r.status === 429)).toHaveLength(28);
    } finally {
      for (const res of answers) await res.body?.cancel();
    }
    // Every slot is given back: once those close, two streams open again.
    expect(await waitUntil(async () => {
      const res = await t.app.request('/events/stream?aggregate_type=nothing');
      await res.body?.cancel();
      return res.status === 200;
    })).toBe(true);
  });

  it('refuses a Last-Event-ID past the largest exact position, as after= is', async () => {
    const res = await t.app.request('/events/stream', { headers: { 'last-event-id': '9007199254740993' } });
    expect(res.status).toBe(400);
  });
});
