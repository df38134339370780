import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEventQueryString } from '../../src/events/query-input.ts';
import { aggregateQuery, MAX_PAGE_BYTES, pagedQuery, type Statement } from '../../src/store/event-query.ts';
import { newId, postJson } from '../support/http.ts';
import { startTestService, type TestService } from '../support/service.ts';

let t: TestService;
beforeAll(async () => {
  t = await startTestService();
  const types = ['agent', 'task', 'plan', 'run'];
  for (let b = 0; b < 4; b++) {
    const events = Array.from({ length: 500 }, (_, i) => ({
      event_type: `${types[i % 4]}.happened`, aggregate_id: newId(), metadata: i % 3 ? { correlation_id: `c-${i}` } : {},
    }));
    expect((await postJson(t.app, '/events/batch', { events })).status).toBe(201);
  }
  // Rare values, so that an index is clearly the better plan for them.
  for (const event_type of ['audit.logged', 'plan.approved', 'audit.logged']) {
    expect((await postJson(t.app, '/events', { event_type, aggregate_id: newId() })).status).toBe(201);
  }
  await t.sql`analyze events`;
});
afterAll(() => t.close());

/** The plan of GET /events for a query string (the statement the store runs), or of a statement, with sequential scans ruled out. */
async function plan(qs: string | Statement): Promise<string> {
  const { text, params } = typeof qs === 'string' ? pagedQuery(parseEventQueryString(qs), { maxBytes: MAX_PAGE_BYTES }) : qs;
  return t.sql.begin(async (tx) => {
    await tx`set local enable_seqscan = off`;
    const rows = await tx.unsafe(`explain ${text}`, params);
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  });
}

describe('every filter of GET /events is served by an index', () => {
  it.each([
    ['aggregate_type=audit', 'events_aggregate_type_position_idx'],
    [`aggregate_id=${newId()}`, 'events_aggregate_id_position_idx'],
    ['event_type=plan.approved', 'events_event_type_position_idx'],
    ['correlation_id=c-7', 'events_correlation_id_position_idx'],
    ['from=2026-01-01T00:00:00Z', 'events_created_at_position_idx'],
    ['to=2026-01-01T00:00:00Z', 'events_created_at_position_idx'],
    ['after=1500', 'events_pkey'],
    ['order=desc&limit=10', 'events_pkey'],
  ])('%s uses %s', async (qs, index) => {
    const p = await plan(qs);
    expect(p).toContain(index);
    expect(p).not.toMatch(/Seq Scan/);
  });
});

describe('an aggregate\'s pages (loadAggregate) are read through its index', () => {
  it.each([
    ['from the start', aggregateQuery('agent', newId(), 0, 1000, MAX_PAGE_BYTES)],
    ['after a sequence, its position unknown', aggregateQuery('agent', newId(), 3, 1000, MAX_PAGE_BYTES)],
    ['after a sequence and its position', aggregateQuery('agent', newId(), 3, 1000, MAX_PAGE_BYTES, 1200)],
  ])('%s', async (_, statement) => {
    const p = await plan(statement);
    expect(p).toContain('events_aggregate_id_position_idx');
    expect(p).not.toMatch(/Seq Scan/);
  });
});

describe('prepared plans of GET /events', () => {
  /** Runs the statement of each query string on one connection; returns PostgreSQL's plan counts for it. */
  async function planCounts(queries: string[]): Promise<{ generic: number; custom: number }> {
    const statements = queries.map((qs) => pagedQuery(parseEventQueryString(qs), { maxBytes: MAX_PAGE_BYTES }));
    expect(new Set(statements.map((s) => s.text)).size).toBe(1);
    const connection = await t.sql.reserve();
    try {
      for (const { text, params } of statements) await connection.unsafe(text, params, { prepare: true });
      const [row] = await connection<{ generic_plans: string; custom_plans: string }[]>`
        select generic_plans, custom_plans from pg_prepared_statements where statement = ${statements[0]!.text}`;
      return { generic: Number(row!.generic_plans), custom: Number(row!.custom_plans) };
    } finally {
      connection.release();
    }
  }

  // PostgreSQL plans the first five executions for their values, then keeps the generic plan
  // if it is no dearer. LIMIT and OFFSET sent as parameters made it plan every keyset page.
  it.each([
    ['keyset pages', (i: number) => `after=${100 * i}&limit=50`],
    ['aggregate histories', () => `aggregate_id=${newId()}`],
    ['correlation ids', (i: number) => `correlation_id=c-${i}`],
    ['time ranges', (i: number) => `from=2026-01-0${1 + (i % 9)}T00:00:00Z&to=2027-01-01T00:00:00Z`],
  ])('reuses one plan for %s', async (_, qs) => {
    const counts = await planCounts(Array.from({ length: 10 }, (_, i) => qs(i)));
    expect(counts.generic).toBeGreaterThanOrEqual(5);
  });
});
