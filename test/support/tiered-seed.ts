import { expect } from 'vitest';
import { defineAggregate } from '../../src/aggregates/aggregate.ts';
import { archiveNow, putPolicy, waitPublished } from './archive.ts';
import { get, newId, postJson } from './http.ts';
import type { TestService } from './service.ts';

export interface Seeded {
  /** Every event's JSON as the service answered it, in position order. */
  texts: string[];
  events: any[];
  /** Ids of the events that are in the archive now. */
  archived: Set<string>;
  orders: string[];
  users: string[];
}

/** The order aggregate's fold, for loads across tiers: the sequence and note of every event. */
export const orderAggregate = defineAggregate<{ log: string[] }>({
  type: 'order',
  initialState: { log: [] },
  evolve: (s, e) => ({ log: [...s.log, `${e.sequence}:${e.event_type}:${(e.payload as { i?: number }).i ?? '-'}`] }),
  schemaVersion: 1,
});

/**
 * Orders and users interleaved, with correlation ids and several event types; then every order
 * event is archived (policy PT0S) and a few more of both types are appended, so orders have
 * archived and hot events.
 */
export async function seedTiers(t: TestService): Promise<Seeded> {
  const orders = Array.from({ length: 6 }, newId), users = Array.from({ length: 4 }, newId);
  let i = 0;
  const make = (type: 'order' | 'user', id: string, verb: string) => {
    const n = i++;
    return {
      event_type: `${type}.${verb}`, aggregate_id: id, payload: { i: n, note: `n${n}`, nested: { z: 1, a: [n, 'x'] } },
      metadata: n % 4 === 0 ? {} : { correlation_id: `corr-${n % 3}`, seq: n },
    };
  };
  for (const id of orders) await postJson(t.app, '/events', { ...make('order', id, 'created'), expected_sequence: 0 });
  for (let round = 0; round < 8; round++) {
    const events = Array.from({ length: 20 }, (_, k) => (k % 3 === 0 ? make('user', users[(k + round) % users.length]!, 'noted') : make('order', orders[(k + round) % orders.length]!, k % 2 ? 'shipped' : 'noted')));
    expect((await postJson(t.app, '/events/batch', { events })).status).toBe(201);
  }
  await putSnapshot(t, orders[0]!);
  const before = await readAll(t, '');
  await waitPublished(t, before.events[before.events.length - 1].position);
  await putPolicy(t.app, 'order', { archive_after: 'PT0S' });
  const run = await archiveNow(t.app);
  expect(run.status, JSON.stringify(run)).toBe('succeeded');
  const archivedEvents = before.events.filter((e) => e.aggregate_type === 'order');
  expect(run.archived).toBe(archivedEvents.length);
  await putPolicy(t.app, 'order', {});
  const later = Array.from({ length: 10 }, (_, k) => make(k % 2 ? 'order' : 'user', k % 2 ? orders[k % orders.length]! : users[0]!, 'noted'));
  expect((await postJson(t.app, '/events/batch', { events: later })).status).toBe(201);
  const last = before.events[before.events.length - 1].position;
  const hot = await readAll(t, '&tier=hot', { after: last });
  const texts = [...before.texts, ...hot.texts];
  return { texts, events: texts.map((x) => JSON.parse(x)), archived: new Set(archivedEvents.map((e) => e.id)), orders, users };
}

async function putSnapshot(t: TestService, id: string) {
  const res = await t.app.request(`/aggregates/order/${id}/snapshot`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sequence: 3, schema_version: 1, state: { log: ['snapshot'] } }) });
  expect(res.status).toBe(200);
}

/** Every event a query returns, paging with after= (limit per page), as the exact JSON texts of each event. */
export async function readAll(t: TestService, query: string, { limit = 7, order = 'asc', after = null }: { limit?: number; order?: 'asc' | 'desc'; after?: number | null } = {}) {
  const texts: string[] = [];
  for (;;) {
    const page = await get(t.app, `/events?limit=${limit}&order=${order}${after === null ? '' : `&after=${after}`}${query}`);
    expect(page.status, page.text).toBe(200);
    texts.push(...eventTexts(page.text));
    if (page.body.next_after === null) break;
    after = page.body.next_after;
  }
  return { texts, events: texts.map((x) => JSON.parse(x)) };
}

/** The events of a page body as the exact texts the service sent. */
export function eventTexts(body: string): string[] {
  const inner = body.slice('{"events":['.length, body.lastIndexOf('],"next_after":'));
  if (inner === '') return [];
  return inner.split(/,(?=\{"id":")/);
}

/** The events of a POST /events/batch answer as the exact texts the service sent. */
export const batchTexts = (body: string): string[] => body.slice('{"events":['.length, -2).split(/,(?=\{"id":")/);
