import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventQuery } from '../../src/events/query-input.ts';
import { createSharedPages } from '../../src/http/shared-pages.ts';
import { createEventStore, type EventStore } from '../../src/store/event-store.ts';
import { newId, postJson } from '../support/http.ts';
import { startTestService, type TestService } from '../support/service.ts';

let t: TestService;
let store: EventStore;
let queries = 0;
beforeAll(async () => {
  t = await startTestService();
  // The real store on the service's database; only the number of queries is observed.
  const real = createEventStore(t.sql);
  store = { ...real, atLeast: () => ({ ...real, query: (q: EventQuery) => (queries++, real.query(q)) }) as EventStore };
});
afterAll(() => t.close());

const page = (after: number): EventQuery => ({ after, limit: 100, offset: 0, order: 'asc', aggregateType: 'shared' });
const append = async () => (await postJson(t.app, '/events', { event_type: 'shared.done', aggregate_id: newId() })).body.position as number;

describe('shared stream pages', () => {
  it('answers readers asking for the same page at once with one query, and each gets every event', async () => {
    const first = await append();
    const second = await append();
    const shared = createSharedPages(store);
    queries = 0;
    const answers = await Promise.all(Array.from({ length: 50 }, () => shared(0, second, page(first - 1))));
    expect(queries).toBe(1);
    for (const a of answers) {
      expect(a.covers).toBe(second);
      expect(a.page.events.map((e) => JSON.parse(e).position)).toEqual([first, second]);
    }
  });

  it('never hands a settled page to a reader that saw a later head, and never shares across filters or floors', async () => {
    const p = await append();
    const shared = createSharedPages(store, 60_000);
    queries = 0;
    const first = await shared(0, p - 1, page(p - 1));
    expect(await shared(0, p - 1, page(p - 1))).toBe(first);
    expect(queries).toBe(1);
    const later = await shared(0, p, page(p - 1));
    expect(queries).toBe(2);
    expect(later.page.events.map((e) => JSON.parse(e).position)).toEqual([p]);
    await shared(p, p, page(p - 1));
    await shared(0, p, { ...page(p - 1), aggregateType: 'other' });
    expect(queries).toBe(4);
  });
});
