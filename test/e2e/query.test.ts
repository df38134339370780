import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, newId, postJson } from '../support/http.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { databaseNow, sessionsOf } from '../support/sessions.ts';
import { waitUntil } from '../support/wait.ts';

// One store with a known history: 2 agents, 1 task, 2 correlation ids, 3 time slices.
let t: TestService;
const agentA = newId();
const agentB = newId();
const task = newId();
let all: any[] = [];
let slice1End: string;
let slice2End: string;

beforeAll(async () => {
  t = await startTestService();
  const append = async (body: object) => (await postJson(t.app, '/events', body)).body;
  all.push(await append({ event_type: 'agent.created', aggregate_id: agentA, metadata: { correlation_id: 'corr-1' } }));
  all.push(await append({ event_type: 'agent.created', aggregate_id: agentB, metadata: { correlation_id: 'corr-2' } }));
  await new Promise((r) => setTimeout(r, 20));
  slice1End = new Date(Date.parse(all[1].created_at) + 5).toISOString();
  await new Promise((r) => setTimeout(r, 20));
  all.push(await append({ event_type: 'task.created', aggregate_id: task, metadata: { correlation_id: 'corr-1' } }));
  all.push(await append({ event_type: 'agent.updated', aggregate_id: agentA, payload: { name: 'a2' } }));
  await new Promise((r) => setTimeout(r, 20));
  slice2End = new Date(Date.parse(all[3].created_at) + 5).toISOString();
  await new Promise((r) => setTimeout(r, 20));
  all.push(await append({ event_type: 'task.completed', aggregate_id: task, metadata: { correlation_id: 'corr-1' } }));
  all.push(await append({ event_type: 'agent.updated', aggregate_id: agentB }));
});
afterAll(() => t.close());

const ids = (res: { body: { events: { id: string }[] } }) => res.body.events.map((e) => e.id);
const idsOf = (events: any[]) => events.map((e) => e.id);
const query = (q: string) => get(t.app, `/events/?${q}`);

// created_at (six fractional digits) one microsecond later.
function plusOneMicrosecond(createdAt: string): string {
  const m = /^(.*)\.(\d{6})Z$/.exec(createdAt)!;
  const micros = BigInt(Date.parse(`${m[1]}Z`)) * 1000n + BigInt(m[2]!) + 1n;
  return `${new Date(Number(micros / 1_000_000n) * 1000).toISOString().slice(0, 19)}.${String(micros % 1_000_000n).padStart(6, '0')}Z`;
}

describe('GET /events filters', () => {
  it('returns every event in position order with next_after null', async () => {
    const res = await query('');
    expect(res.status).toBe(200);
    expect(ids(res)).toEqual(idsOf(all));
    expect(res.body.next_after).toBeNull();
  });

  it.each([
    ['aggregate_type=agent', () => all.filter((e) => e.aggregate_type === 'agent')],
    [`aggregate_id=${agentA}`, () => all.filter((e) => e.aggregate_id === agentA)],
    [`aggregate_type=agent&aggregate_id=${agentA}`, () => all.filter((e) => e.aggregate_id === agentA)],
    [`aggregate_type=task&aggregate_id=${agentA}`, () => []],
    ['event_type=agent.updated', () => all.filter((e) => e.event_type === 'agent.updated')],
    ['event_type=task.completed&limit=50', () => all.filter((e) => e.event_type === 'task.completed')],
    ['correlation_id=corr-1', () => all.filter((e) => e.metadata.correlation_id === 'corr-1')],
    ['correlation_id=corr-1&aggregate_type=task', () => all.filter((e) => e.metadata.correlation_id === 'corr-1' && e.aggregate_type === 'task')],
    ['correlation_id=nobody', () => []],
  ])('filters by %s', async (q, expected) => {
    const res = await query(q);
    expect(res.status).toBe(200);
    expect(ids(res)).toEqual(idsOf(expected()));
  });

  it('filters by time: from inclusive, to exclusive', async () => {
    expect(ids(await query(`to=${slice1End}`))).toEqual(idsOf(all.slice(0, 2)));
    expect(ids(await query(`from=${slice1End}&to=${slice2End}`))).toEqual(idsOf(all.slice(2, 4)));
    expect(ids(await query(`from=${slice2End}`))).toEqual(idsOf(all.slice(4)));
    expect(ids(await query(`from=${encodeURIComponent(all[2].created_at)}`))).toEqual(idsOf(all.slice(2)));
    expect(ids(await query(`to=${encodeURIComponent(all[2].created_at)}`))).toEqual(idsOf(all.slice(0, 2)));
    expect(ids(await query(`from=${slice1End}&to=${slice1End}`))).toEqual([]);
    expect(ids(await query('from=2999-01-01'))).toEqual([]);
    expect(ids(await query('to=2000-01-01T00:00:00Z'))).toEqual([]);
  });

  it('keeps the microseconds of from and to', async () => {
    const justAfter = plusOneMicrosecond(all[2].created_at);
    expect(ids(await query(`from=${justAfter}`))).toEqual(idsOf(all.slice(3)));
    expect(ids(await query(`to=${justAfter}`))).toEqual(idsOf(all.slice(0, 3)));
  });

  it('reads instants whose UTC time falls outside years 1 to 9999', async () => {
    expect(ids(await query(`to=${encodeURIComponent('9999-12-31T20:00:00-05:00')}`))).toEqual(idsOf(all));
    expect(ids(await query(`from=${encodeURIComponent('0001-01-01T00:00:00+15:59')}`))).toEqual(idsOf(all));
  });

  it('reads time zone offsets, also a "+" that the query string turned into a space', async () => {
    const instant = new Date(Date.parse(slice1End));
    const plus2 = new Date(instant.getTime() + 2 * 3600_000).toISOString().replace('Z', '+02:00');
    expect(ids(await query(`from=${encodeURIComponent(plus2)}`))).toEqual(idsOf(all.slice(2)));
    expect(ids(await query(`from=${plus2}`))).toEqual(idsOf(all.slice(2)));
  });

  it('pages with limit and after, with next_after pointing at the last event of a full page', async () => {
    const seen: string[] = [];
    let after: number | null = 0;
    let pages = 0;
    while (after !== null) {
      const res = await query(`limit=2&after=${after}`);
      seen.push(...ids(res));
      after = res.body.next_after;
      if (after !== null) expect(after).toBe(res.body.events[1].position);
      pages++;
    }
    expect(seen).toEqual(idsOf(all));
    expect(pages).toBe(3);
  });

  it('pages backwards with order=desc and after', async () => {
    const first = await query('order=desc&limit=4');
    expect(ids(first)).toEqual(idsOf(all.slice(2).reverse()));
    const second = await query(`order=desc&limit=4&after=${first.body.next_after}`);
    expect(ids(second)).toEqual(idsOf(all.slice(0, 2).reverse()));
    expect(second.body.next_after).toBeNull();
  });

  it('skips with offset', async () => {
    expect(ids(await query('limit=2&offset=3'))).toEqual(idsOf(all.slice(3, 5)));
    expect(ids(await query('offset=100'))).toEqual([]);
  });

  it('answers the seed examples', async () => {
    expect((await query(`aggregate_type=agent&aggregate_id=${agentA}`)).status).toBe(200);
    expect((await query('event_type=task.completed&limit=50')).status).toBe(200);
    expect((await query('limit=10&offset=20')).status).toBe(200);
  });
});

describe('GET /events refuses malformed queries with 400', () => {
  it.each([
    'limit=0', 'limit=-1', 'limit=1001', 'limit=abc', 'limit=1.5', 'limit=1e9', 'limit=', 'limit=1&limit=2',
    'offset=-1', 'offset=100001', 'after=-5', 'after=x', 'after=99999999999999999999',
    'order=up', 'aggregate_type=Agent', 'aggregate_type=ord*', 'aggregate_type=a:b', 'aggregate_type=',
    'aggregate_id=not-a-uuid', 'aggregate_id={550e8400-e29b-41d4-a716-446655440000}',
    'event_type=created', 'event_type=a.b.c', 'from=yesterday', 'from=2026-02-30', 'to=2026-13-01T00:00:00Z',
    'from=2026-01-01T25:00:00Z', 'from=2026-01-01T00:00:00%2B16:00', 'from=2026-02-01&to=2026-01-01', 'correlation_id=%00', 'correlation_id=',
    "aggregate_type=' OR 1=1--", 'aggregateId=550e8400-e29b-41d4-a716-446655440000', 'type=agent.created',
  ])('%s', async (q) => {
    const res = await query(q);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.body).toMatchObject({ status: 400, type: '/problems/malformed-request' });
    expect(res.body.errors.length).toBeGreaterThan(0);
  });
});

describe('GET /events/{id}', () => {
  it('answers 200 with the event, 404 for an unknown id, 400 for a non-UUID', async () => {
    expect((await get(t.app, `/events/${all[0].id}`)).body).toEqual(all[0]);
    const unknown = await get(t.app, `/events/${newId()}`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toBe('application/problem+json');
    const bad = await get(t.app, '/events/not-a-uuid');
    expect(bad.status).toBe(400);
    expect(bad.body.type).toBe('/problems/malformed-request');
  });
});

describe('GET /health', () => {
  it('reports PostgreSQL, Redis and publish lag', async () => {
    const res = await get(t.app, '/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', postgres: 'ok', redis: 'ok' });
    expect(res.body.head_position).toBe(all[all.length - 1].position);
    expect(res.body.publish_lag).toBeGreaterThanOrEqual(0);
  });
});

describe('connections of the read path', () => {
  it("runs one client's reads on one connection, though a burst opened several", async () => {
    const readSessions = (where?: Parameters<typeof sessionsOf>[2]) => sessionsOf(t.sql, 'event-service-read', where);
    const burst = await Promise.all(Array.from({ length: 30 }, () => get(t.app, `/events?aggregate_id=${agentA}`)));
    expect(burst.every((r) => r.status === 200)).toBe(true);
    expect((await readSessions()).length).toBeGreaterThan(1);

    const since = await databaseNow(t.sql);
    for (let i = 0; i < 20; i++) expect((await get(t.app, `/events?aggregate_id=${agentA}`)).status).toBe(200);
    expect(await readSessions(t.sql`state_change > ${since}`)).toHaveLength(1);
    expect(t.service.database.reads.stats()).toEqual({ inUse: 0, waiting: 0 });
  });

  it('makes a read wait in line while every read connection is in use, and frees one that failed', async () => {
    const s = await startTestService({ DATABASE_POOL_MAX: '1' });
    try {
      const { reads } = s.service.database;
      await expect(reads.use((sql) => sql`select 1 / 0`)).rejects.toThrow(/division by zero/);
      expect(reads.stats()).toEqual({ inUse: 0, waiting: 0 });

      const slow = reads.use((sql) => sql`select pg_sleep(30)`).then(() => 'finished', (error: Error) => error.message);
      const read = get(s.app, `/events?aggregate_id=${newId()}`);
      expect(await waitUntil(() => reads.stats().waiting === 1)).toBe(true);
      expect(reads.stats().inUse).toBe(1);
      await s.sql`select pg_cancel_backend(pid) from pg_stat_activity where query = 'select pg_sleep(30)'`;
      expect(await slow).toMatch(/cancel/);
      const res = await read;
      expect(res.status).toBe(200);
      expect(res.body.events).toEqual([]);
      expect(reads.stats()).toEqual({ inUse: 0, waiting: 0 });
    } finally {
      await s.close();
    }
  });
});
