import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentCreated, get, newId, postJson } from '../support/http.ts';
import { startTestService, subscribeAll, type TestService } from '../support/service.ts';
import { databaseNow, sessionsOf } from '../support/sessions.ts';
import { waitUntil } from '../support/wait.ts';

// Batches, what an append publishes, and the connections appends take (single events: append.test.ts).
let t: TestService;
beforeAll(async () => {
  t = await startTestService();
});
afterAll(() => t.close());

const count = async () => Number((await t.sql`select count(*) from events`)[0]!.count);

describe('POST /events/batch', () => {
  it('stores all events in order with consecutive sequences per aggregate', async () => {
    const a = newId();
    const b = newId();
    const res = await postJson(t.app, '/events/batch', {
      events: [
        { event_type: 'task.created', aggregate_id: a },
        { event_type: 'agent.created', aggregate_id: b },
        { event_type: 'task.started', aggregate_id: a, expected_sequence: 1 },
        { event_type: 'task.completed', aggregate_id: a, expected_sequence: 2 },
      ],
    });
    expect(res.status).toBe(201);
    expect(res.body.events.map((e: any) => [e.event_type, e.sequence])).toEqual([
      ['task.created', 1], ['agent.created', 1], ['task.started', 2], ['task.completed', 3],
    ]);
    const positions = res.body.events.map((e: any) => e.position);
    expect(positions).toEqual([...positions].sort((x, y) => x - y));
    expect(positions[3] - positions[0]).toBe(3);
  });

  it('stores nothing when one event conflicts, and names the failing item', async () => {
    const a = newId();
    await postJson(t.app, '/events', { event_type: 'task.created', aggregate_id: a });
    const before = await count();
    const res = await postJson(t.app, '/events/batch', {
      events: [
        { event_type: 'agent.created', aggregate_id: newId() },
        { event_type: 'task.started', aggregate_id: a, expected_sequence: 0 },
      ],
    });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ current_sequence: 1, index: 1 });
    expect(await count()).toBe(before);
    // A batch of one names its item too; a single append has no items to name.
    const one = await postJson(t.app, '/events/batch', { events: [{ event_type: 'task.started', aggregate_id: a, expected_sequence: 0 }] });
    expect(one.status).toBe(409);
    expect(one.body).toMatchObject({ current_sequence: 1, index: 0 });
    const single = await postJson(t.app, '/events', { event_type: 'task.started', aggregate_id: a, expected_sequence: 0 });
    expect(single.status).toBe(409);
    expect(single.body).toMatchObject({ current_sequence: 1 });
    expect(single.body).not.toHaveProperty('index');
  });

  it('answers a resent batch with 200 and the stored events', async () => {
    const events = [
      { id: newId(), event_type: 'task.created', aggregate_id: newId() },
      { id: newId(), event_type: 'task.created', aggregate_id: newId() },
    ];
    const first = await postJson(t.app, '/events/batch', { events });
    const again = await postJson(t.app, '/events/batch', { events });
    expect(again.status).toBe(200);
    expect(again.text).toBe(first.text);
  });

  it('refuses an empty batch, more than 1000 events (naming the limit) and repeated ids with 422', async () => {
    const empty = await postJson(t.app, '/events/batch', { events: [] });
    expect(empty.status).toBe(422);
    expect(empty.body.limit_events).toBeUndefined();
    const many = Array.from({ length: 1001 }, () => ({ event_type: 'task.created', aggregate_id: newId() }));
    const over = await postJson(t.app, '/events/batch', { events: many });
    expect(over.status).toBe(422);
    expect(over.body).toMatchObject({ limit_events: 1000, errors: [{ pointer: '/events', detail: 'must hold at most 1000 events' }] });
    const id = newId();
    const dup = await postJson(t.app, '/events/batch', {
      events: [
        { id, event_type: 'task.created', aggregate_id: newId() },
        { id, event_type: 'task.created', aggregate_id: newId() },
      ],
    });
    expect(dup.status).toBe(422);
    expect(dup.body.errors[0].pointer).toBe('/events/1/id');
  });

  it('accepts exactly 1000 events', async () => {
    const events = Array.from({ length: 1000 }, (_, i) => ({ event_type: 'task.created', aggregate_id: newId(), payload: { i } }));
    const res = await postJson(t.app, '/events/batch', { events });
    expect(res.status).toBe(201);
    expect(res.body.events).toHaveLength(1000);
  });
});

describe('publishing to Redis', () => {
  it('publishes every acknowledged event on events:<aggregate_type>, per aggregate in sequence order, as the GET JSON', async () => {
    const sub = await subscribeAll(t.channelPrefix);
    const aggregates = Array.from({ length: 5 }, () => newId());
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        postJson(t.app, '/events', { event_type: i % 2 ? 'task.progressed' : 'agent.progressed', aggregate_id: aggregates[i % 5], payload: { i } }),
      ),
    );
    expect(results.every((r) => r.status === 201)).toBe(true);
    const ids = new Set(results.map((r) => r.body.id));
    const mine = await sub.waitForIds(ids);
    sub.close();
    expect(new Set(mine.map((m) => m.event.id)).size).toBe(200);

    for (const m of mine) expect(m.channel).toBe(`${t.channelPrefix}events:${m.event.aggregate_type}`);
    for (const aggregateId of aggregates) {
      const seqs = mine.filter((m) => m.event.aggregate_id === aggregateId).map((m) => m.event.sequence);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
    const positions = mine.map((m) => m.event.position);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    const one = results[17]!;
    expect(mine.find((m) => m.event.id === one.body.id)!.body).toBe((await get(t.app, `/events/${one.body.id}`)).text);
  });
});

describe('connections of the append path', () => {
  it('commits appends while every read and background connection is busy with a slow query', async () => {
    const s = await startTestService({ DATABASE_POOL_MAX: '2' });
    try {
      const { database } = s.service;
      const slow = [0, 1].flatMap(() => [database.sql`select pg_sleep(30)`, database.reads.use((sql) => sql`select pg_sleep(30)`)]);
      let readsDone = false;
      void Promise.allSettled(slow).then(() => (readsDone = true));
      expect(await waitUntil(async () => Number((await s.sql`select count(*) from pg_stat_activity where query = 'select pg_sleep(30)' and state = 'active'`)[0]!.count) === 4)).toBe(true);
      expect(database.reads.stats()).toEqual({ inUse: 2, waiting: 0 });
      const res = await postJson(s.app, '/events', agentCreated(newId()));
      expect(res.status).toBe(201);
      expect(readsDone).toBe(false);
      await s.sql`select pg_cancel_backend(pid) from pg_stat_activity where query = 'select pg_sleep(30)'`;
      await Promise.allSettled(slow);
    } finally {
      await s.close();
    }
  });

  it("fails only the request PostgreSQL refuses when it shares a group commit with others' appends", async () => {
    // A refusal no check before PostgreSQL foresees: a trigger raising "number out of range" (22003, a 422) for one payload.
    await t.sql.unsafe(`
      create function refuse_poison() returns trigger language plpgsql as $$
      begin if new.payload ? 'poison' then raise exception 'poisoned' using errcode = '22003'; end if; return new; end $$;
      create trigger refuse_poison before insert on events for each row execute function refuse_poison()`);
    // Transactions of more than two events, from the group-commit histogram.
    const large = async () => {
      const text = await (await t.app.request('/metrics')).text();
      const at = (le: string) => Number(new RegExp(`append_transaction_events_bucket\\{le="${le}"\\} (\\d+)`).exec(text)![1]);
      return at('\\+Inf') - at('2');
    };
    const largeBefore = await large();
    const lock = await t.sql.reserve();
    try {
      // Both transactions in flight wait for the lock held here, so the next requests queue and go in one transaction.
      await lock`begin`;
      await lock`select 1 from events_head for update`;
      const waiting = [];
      for (const n of [1, 2]) {
        waiting.push(postJson(t.app, '/events', agentCreated(newId())));
        expect(await waitUntil(async () => (await sessionsOf(t.sql, 'event-service-append', t.sql`wait_event_type = 'Lock'`)).length === n)).toBe(true);
      }
      const goods = Array.from({ length: 3 }, () => ({ ...agentCreated(newId()), id: newId() }));
      const poison = { ...agentCreated(newId()), id: newId(), payload: { poison: true } };
      const queued = Promise.all([postJson(t.app, '/events', goods[0]), postJson(t.app, '/events', poison), postJson(t.app, '/events/batch', { events: goods.slice(1) })]);
      await new Promise((r) => setTimeout(r, 50));
      await lock`rollback`;
      const [one, refused, batch] = await queued;
      expect((await Promise.all(waiting)).map((r) => r.status)).toEqual([201, 201]);
      expect([one.status, batch.status]).toEqual([201, 201]);
      expect(refused.status).toBe(422);
      expect(refused.headers.get('content-type')).toBe('application/problem+json');
      for (const e of goods) expect((await get(t.app, `/events/${e.id}`)).status).toBe(200);
      expect((await get(t.app, `/events/${poison.id}`)).status).toBe(404);
      // The four events went to PostgreSQL in one transaction first (then one request at a time).
      expect(await large()).toBe(largeBefore + 1);
    } finally {
      lock.release();
      await t.sql.unsafe('drop trigger refuse_poison on events; drop function refuse_poison()');
    }
  });

  it("runs one client's appends on one connection, and concurrent ones on APPEND_MAX_IN_FLIGHT of their own", async () => {
    const appendSessions = (where?: Parameters<typeof sessionsOf>[2]) => sessionsOf(t.sql, 'event-service-append', where);
    // Two transactions in flight: the first waits for the append lock held here, the second for the first.
    const lock = await t.sql.reserve();
    await lock`begin`;
    await lock`select 1 from events_head for update`;
    const first = postJson(t.app, '/events', agentCreated(newId()));
    expect(await waitUntil(async () => (await appendSessions(t.sql`wait_event_type = 'Lock'`)).length === 1)).toBe(true);
    const second = postJson(t.app, '/events', agentCreated(newId()));
    expect(await waitUntil(async () => (await appendSessions(t.sql`wait_event_type = 'Lock'`)).length === 2)).toBe(true);
    await lock`rollback`;
    lock.release();
    expect((await first).status).toBe(201);
    expect((await second).status).toBe(201);
    expect(await appendSessions()).toHaveLength(2);

    const since = await databaseNow(t.sql);
    for (let i = 0; i < 20; i++) expect((await postJson(t.app, '/events', agentCreated(newId()))).status).toBe(201);
    expect(await appendSessions(t.sql`state_change > ${since}`)).toHaveLength(1);
  });
});
