import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, newId, pageWhile, postJson } from '../support/http.ts';
import { startTestService, type TestService } from '../support/service.ts';

let t: TestService;
let raw: postgres.Sql;
beforeAll(async () => {
  t = await startTestService();
  raw = postgres(t.databaseUrl, { max: 2, onnotice: () => {} });
});
afterAll(async () => {
  await raw.end();
  await t.close();
});

const item = (aggregateId = newId()) => ({
  idx: 0, grp: 0, id: newId(), event_type: 'agent.created', aggregate_type: 'agent', aggregate_id: aggregateId,
  payload: {}, metadata: {}, version: 1, expected_sequence: null,
});

async function head(): Promise<number> {
  return (await get(t.app, '/health')).body.head_position;
}

async function readAfter(after: number): Promise<any[]> {
  return (await get(t.app, `/events?after=${after}&limit=1000`)).body.events;
}

const settled = async (p: Promise<unknown>, ms: number) =>
  Promise.race([p.then(() => true), new Promise((r) => setTimeout(() => r(false), ms))]);

describe('a tailing reader paging with after=', () => {
  it('neither skips nor reorders while an append transaction is held open and later appends wait', async () => {
    const cursor = await head();
    const tx = await raw.reserve();
    await tx`begin`;
    const [held] = await tx`select r_event from append_events(${JSON.stringify([item()])}::text::jsonb)`;
    const heldEvent = JSON.parse(held!.r_event);

    const later = Promise.all([postJson(t.app, '/events', { event_type: 'task.created', aggregate_id: newId() }), postJson(t.app, '/events', { event_type: 'task.created', aggregate_id: newId() })]);
    // The later appends cannot commit before the held one: they wait for it.
    expect(await settled(later, 300)).toBe(false);
    expect(await readAfter(cursor)).toEqual([]);

    await tx`commit`;
    tx.release();
    const [b, c] = await later;
    expect(b!.status).toBe(201);
    const seen = await readAfter(cursor);
    expect(seen.map((e) => e.id)).toEqual([heldEvent.id, ...[b!.body, c!.body].sort((x, y) => x.position - y.position).map((e) => e.id)]);
    expect(seen.map((e) => e.position)).toEqual([cursor + 1, cursor + 2, cursor + 3]);
  });

  it('sees no gap when the held transaction rolls back', async () => {
    const cursor = await head();
    const tx = await raw.reserve();
    await tx`begin`;
    await tx`select r_event from append_events(${JSON.stringify([item()])}::text::jsonb)`;
    const later = postJson(t.app, '/events', { event_type: 'task.created', aggregate_id: newId() });
    expect(await settled(later, 200)).toBe(false);
    await tx`rollback`;
    tx.release();
    expect((await later).body.position).toBe(cursor + 1);
    expect((await readAfter(cursor)).map((e) => e.position)).toEqual([cursor + 1]);
  });

  it('reads every position exactly once, in order, while 16 writers on four instances append concurrently', async () => {
    const instances = [t, ...(await Promise.all([1, 2, 3].map(() => startTestService({}, t.databaseUrl))))];
    const start = await head();
    const aggregates = Array.from({ length: 8 }, () => newId());
    // Writers stop after a number of acknowledged events, not a time: on a loaded machine a time
    // budget leaves too few appends for the interleaving to mean anything.
    const target = 300;
    let acked = 0;

    const writer = async (w: number) => {
      const app = instances[w % instances.length]!.app;
      while (acked < target) {
        const aggregateId = aggregates[Math.floor(Math.random() * aggregates.length)];
        if (Math.random() < 0.2) {
          const events = Array.from({ length: 1 + Math.floor(Math.random() * 5) }, () => ({ event_type: 'task.progressed', aggregate_id: aggregateId }));
          const res = await postJson(app, '/events/batch', { events });
          if (res.status === 201) acked += events.length;
        } else {
          const res = await postJson(app, '/events', { event_type: 'task.progressed', aggregate_id: aggregateId });
          if (res.status === 201) acked++;
        }
        if (Math.random() < 0.3) await new Promise((r) => setTimeout(r, Math.random() * 5));
      }
    };

    const seen = await pageWhile(t.app, start, 37, () => Promise.all(Array.from({ length: 16 }, (_, w) => writer(w))));
    await Promise.all(instances.slice(1).map((i) => i.close()));

    expect(acked).toBeGreaterThanOrEqual(target);
    expect(seen).toEqual(Array.from({ length: acked }, (_, i) => start + i + 1));
    const gaps = await t.sql`
      select aggregate_id from events where aggregate_id = any(${aggregates}::uuid[])
      group by aggregate_id having count(*) <> max(sequence) or min(sequence) <> 1`;
    expect(gaps).toEqual([]);
  });
});

describe('append_events() called directly', () => {
  it('keeps positions and sequences gapless whatever item numbers the caller sends', async () => {
    const start = await head();
    const aggregateId = newId();
    const items = [{ ...item(aggregateId), idx: 0 }, { ...item(aggregateId), idx: 5 }, { ...item(), idx: 5 }];
    const rows = await raw`select r_status, r_event from append_events(${JSON.stringify(items)}::text::jsonb)`;
    const events = rows.map((r) => JSON.parse(r.r_event));
    expect(rows.map((r) => r.r_status)).toEqual(['created', 'created', 'created']);
    expect(events.map((e) => e.position).sort()).toEqual([start + 1, start + 2, start + 3]);
    expect(events.filter((e) => e.aggregate_id === aggregateId).map((e) => e.sequence)).toEqual([1, 2]);
    expect(await head()).toBe(start + 3);
  });
});

describe('concurrency across connections', () => {
  it('lets exactly one of 10 expected_sequence 0 appends from separate instances win', async () => {
    const instances = await Promise.all(Array.from({ length: 5 }, () => startTestService({}, t.databaseUrl)));
    const aggregateId = newId();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => postJson(instances[i % 5]!.app, '/events', { event_type: 'agent.created', aggregate_id: aggregateId, expected_sequence: 0 })),
    );
    await Promise.all(instances.map((i) => i.close()));
    expect(results.map((r) => r.status).sort()).toEqual([201, ...Array(9).fill(409)]);
    expect(results.filter((r) => r.status === 409).every((r) => r.body.current_sequence === 1)).toBe(true);
  });
});

describe('immutability', () => {
  it('is enforced by the database: UPDATE, DELETE and TRUNCATE on events fail', async () => {
    const res = await postJson(t.app, '/events', { event_type: 'agent.created', aggregate_id: newId() });
    await expect(t.sql`update events set payload = '{"x":1}' where id = ${res.body.id}`).rejects.toThrow(/immutable/);
    await expect(t.sql`delete from events where id = ${res.body.id}`).rejects.toThrow(/immutable/);
    await expect(t.sql`truncate events`).rejects.toThrow(/immutable/);
    expect((await get(t.app, `/events/${res.body.id}`)).text).toBe(res.text);
  });
});
