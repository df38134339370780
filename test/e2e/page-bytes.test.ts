import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArchiveReader } from '../../src/lifecycle/archive-reader.ts';
import { eventJson, eventJsonLength, type SegmentRow } from '../../src/lifecycle/segment-row.ts';
import { createSegmentStorage } from '../../src/lifecycle/segment-storage.ts';
import { tempArchive } from '../support/archive.ts';
import { testRedisUrl } from '../support/env.ts';
import { get, newId, postJson } from '../support/http.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { readSse } from '../support/sse.ts';
import { eventTexts, orderAggregate, readAll, type Seeded, seedTiers } from '../support/tiered-seed.ts';
import { waitUntil } from '../support/wait.ts';

// MAX_PAGE_BYTES (ADR 37): a page ends with the event that takes it to the budget, and paging on
// with next_after reads every event once, hot or archived.

/** An aggregate's events read through the store from sequence 0 in pages of up to `limit`, as loadAggregate() reads them; each page with its bytes. */
async function readAggregatePages(t: TestService, type: string, id: string, limit: number) {
  const pages: { texts: string[]; nextAfter: number | null }[] = [];
  let sequence = 0, position: number | undefined;
  for (;;) {
    const page = await t.service.store.readAggregate(type, id, sequence, limit, position);
    pages.push({ texts: page.events, nextAfter: page.nextAfter });
    if (page.nextAfter === null) return pages;
    const last = JSON.parse(page.events[page.events.length - 1]!);
    expect(page.nextAfter).toBe(last.position);
    [sequence, position] = [last.sequence, last.position];
  }
}

describe('GET /events with MAX_PAGE_BYTES', () => {
  const BUDGET = 8192;
  let s: TestService;
  const texts: string[] = [];
  beforeAll(async () => {
    s = await startTestService({ MAX_PAGE_BYTES: String(BUDGET) });
    // 3 KB events, and one of 20 KB, larger than the budget on its own, in the middle.
    for (let k = 0; k < 24; k++) {
      const res = await postJson(s.app, '/events', { event_type: 'blob.stored', aggregate_id: newId(), payload: { k, data: 'x'.repeat(k === 10 ? 20_000 : 3_000) } });
      expect(res.status).toBe(201);
      texts.push(res.text);
    }
  });
  afterAll(() => s.close());

  it('ends a page once its events reach the budget, with next_after to page on, in both orders', async () => {
    for (const order of ['asc', 'desc'] as const) {
      const expected = order === 'asc' ? texts : [...texts].reverse();
      const seen: string[] = [];
      const sizes: number[] = [];
      let after: number | null = null;
      do {
        const res: { status: number; text: string; body: any } = await get(s.app, `/events?limit=1000&order=${order}${after === null ? '' : `&after=${after}`}`);
        expect(res.status).toBe(200);
        const page = eventTexts(res.text);
        const bytes = page.map((x) => Buffer.byteLength(x));
        // All but the last start inside the budget; a page ends early only at the budget.
        expect(bytes.slice(0, -1).reduce((a, b) => a + b, 0)).toBeLessThan(BUDGET);
        if (res.body.next_after !== null) expect(bytes.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(BUDGET);
        seen.push(...page);
        sizes.push(page.length);
        after = res.body.next_after;
      } while (after !== null);
      expect(seen).toEqual(expected);
      expect(Math.max(...sizes)).toBe(3);
      // The 20 KB event is a page of its own.
      expect(sizes).toContain(1);
    }
  });

  it('still ends a page at the limit, and at the budget after an offset', async () => {
    const two = await get(s.app, '/events?limit=2');
    expect(eventTexts(two.text)).toEqual(texts.slice(0, 2));
    expect(two.body.next_after).toBe(JSON.parse(texts[1]!).position);
    const skipped = await get(s.app, '/events?limit=1000&offset=5');
    expect(eventTexts(skipped.text)).toEqual(texts.slice(5, 8));
    expect(skipped.body.next_after).toBe(JSON.parse(texts[7]!).position);
  });

  it('replays every event to Redis in pages of that size', async () => {
    const redis = new Redis(testRedisUrl);
    const replayed: string[] = [];
    redis.on('message', (_c: string, body: string) => replayed.push(JSON.parse(body).id));
    await redis.subscribe(`${s.channelPrefix}replay:blobs`);
    expect((await postJson(s.app, '/replays', { filter: { aggregate_type: 'blob' }, channel: 'replay:blobs' })).status).toBe(202);
    const ids = texts.map((x) => JSON.parse(x).id);
    expect(await waitUntil(() => replayed.length >= ids.length, 10_000)).toBe(true);
    expect(replayed).toEqual(ids);
    redis.disconnect();
  });

  it('streams every event over SSE from position 0 in pages of that size', async () => {
    const stream = readSse(await s.app.request('/events/stream?after=0'));
    expect(await stream.waitFor(() => stream.messages().length >= texts.length, 10_000)).toBe(true);
    expect(stream.events.filter((e) => e.data !== undefined).map((e) => e.data)).toEqual(texts);
    await stream.close();
  });

  // Last: its events would be in the replay and the stream above.
  it('reads an aggregate in pages of that size', async () => {
    const id = newId();
    const events = Array.from({ length: 9 }, (_, k) => ({ event_type: 'blob.stored', payload: { k, data: 'y'.repeat(k === 4 ? 20_000 : 3_000) } }));
    const res = await postJson(s.app, '/events/batch', { events: events.map((e) => ({ ...e, aggregate_id: id })) });
    expect(res.status).toBe(201);
    const pages = await readAggregatePages(s, 'blob', id, 1000);
    expect(pages.flatMap((p) => p.texts).map((x) => JSON.parse(x).payload.k)).toEqual(events.map((e) => e.payload.k));
    expect(pages.map((p) => p.texts.length)).toEqual([3, 2, 3, 1]);
    for (const p of pages.slice(0, -1)) expect(p.texts.reduce((n, x) => n + Buffer.byteLength(x), 0)).toBeGreaterThanOrEqual(BUDGET);
    // Pages end at their limit too, and the last says it is the last: no empty page after it.
    expect((await readAggregatePages(s, 'blob', id, 2)).map((p) => p.texts.length)).toEqual([2, 2, 1, 2, 2]);
  });
});

describe('with MAX_PAGE_BYTES small, pages across tiers end at the byte budget and page on without a gap', () => {
  const BUDGET = 2000;
  let t: TestService;
  let seeded: Seeded;
  let stopBackend: () => Promise<void>;
  let archiveUrl: string;
  beforeAll(async () => {
    const dir = await tempArchive();
    stopBackend = dir.remove;
    archiveUrl = dir.url;
    // Small segments and row groups, as in tiered-reads.test.ts, so reads cross several of each.
    t = await startTestService({ ARCHIVE_SEGMENT_EVENTS: '40', ARCHIVE_ROW_GROUP_EVENTS: '9', ARCHIVE_INTERVAL: '0', ARCHIVE_URL: dir.url, MAX_PAGE_BYTES: String(BUDGET) }, undefined, { aggregates: [orderAggregate] });
    seeded = await seedTiers(t);
  });
  afterAll(async () => {
    await t.close();
    await stopBackend();
  });
  const bytes = (texts: string[]) => texts.reduce((n, x) => n + Buffer.byteLength(x), 0);
  /** A page that a byte budget ended: under the limit, all but its last event inside the budget, and next_after its last. */
  function expectCut(page: { text: string; body: any }, limit: number) {
    const texts = eventTexts(page.text);
    expect(texts.length).toBeGreaterThan(0);
    expect(texts.length).toBeLessThan(limit);
    expect(bytes(texts.slice(0, -1))).toBeLessThan(BUDGET);
    expect(bytes(texts)).toBeGreaterThanOrEqual(BUDGET);
    expect(page.body.next_after).toBe(JSON.parse(texts[texts.length - 1]!).position);
    return texts;
  }

  it('reads the whole log page by page in both orders, hot and archived events alike', async () => {
    expect(seeded.archived.size).toBeGreaterThan(100);
    expect(bytes(seeded.texts)).toBeGreaterThan(20 * BUDGET);
    expect((await readAll(t, '', { limit: 1000 })).texts).toEqual(seeded.texts);
    expect((await readAll(t, '', { limit: 1000, order: 'desc' })).texts).toEqual([...seeded.texts].reverse());
    expect((await readAll(t, '&aggregate_type=order', { limit: 1000 })).texts).toEqual(seeded.texts.filter((_, k) => seeded.events[k].aggregate_type === 'order'));
    expectCut(await get(t.app, '/events?limit=1000'), 1000);
  });

  it('reads and loads aggregates page by page within the budget, archived and hot events alike', async () => {
    for (const id of seeded.orders) {
      const texts = seeded.texts.filter((_, k) => seeded.events[k].aggregate_id === id);
      expect(bytes(texts)).toBeGreaterThan(2 * BUDGET);
      const pages = await readAggregatePages(t, 'order', id, 1000);
      expect(pages.flatMap((p) => p.texts)).toEqual(texts);
      for (const p of pages.slice(0, -1)) {
        expect(bytes(p.texts.slice(0, -1))).toBeLessThan(BUDGET);
        expect(bytes(p.texts)).toBeGreaterThanOrEqual(BUDGET);
      }
      // The fold reads on past every page the budget ended (orders[0] starts from its snapshot at 3).
      const state = await get(t.app, `/aggregates/order/${id}`);
      expect(state.status).toBe(200);
      const log = texts.map((x) => JSON.parse(x)).map((e) => `${e.sequence}:${e.event_type}:${e.payload.i}`);
      expect(state.body.state.log).toEqual(id === seeded.orders[0] ? ['snapshot', ...log.slice(3)] : log);
    }
  });

  it('reads no more archived events than a page of the budget needs', async () => {
    const reader = createArchiveReader({ storage: createSegmentStorage(archiveUrl), cacheBytes: 1 << 20 });
    const archivedTexts = seeded.texts.filter((_, k) => seeded.archived.has(seeded.events[k].id));
    /** Rows read under the budget: a prefix of the archived events, ending once their JSON is past the budget. */
    function expectBudgeted(rows: SegmentRow[], all: string[]) {
      const texts = rows.map(eventJson);
      expect(rows.map(eventJsonLength)).toEqual(texts.map((x) => x.length));
      expect(texts).toEqual(all.slice(0, texts.length));
      expect(bytes(texts)).toBeGreaterThanOrEqual(BUDGET);
      expect(texts.length).toBeLessThan(all.length);
    }
    const q = { order: 'asc' as const };
    expectBudgeted(await reader.readQuery(t.sql, q, await reader.segments(t.sql, q), { lo: 0, hi: Infinity }, 1000, BUDGET), archivedTexts);
    const id = seeded.orders[2]!;
    expectBudgeted(await reader.readAggregate(t.sql, 'order', id, 0, 1000, BUDGET), archivedTexts.filter((x) => JSON.parse(x).aggregate_id === id));
  });

  it('counts the budget from the offset on, whatever the skipped events weigh', async () => {
    for (const order of ['asc', 'desc'] as const) {
      const all = order === 'asc' ? seeded.texts : [...seeded.texts].reverse();
      expect(bytes(all.slice(0, 37))).toBeGreaterThan(BUDGET);
      for (const offset of [3, 37, 150]) {
        const texts = expectCut(await get(t.app, `/events?limit=1000&offset=${offset}&order=${order}`), 1000);
        expect(texts).toEqual(all.slice(offset, offset + texts.length));
      }
    }
  });
});
