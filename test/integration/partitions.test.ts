import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAggregate } from '../../src/aggregates/load-aggregate.ts';
import { createEventStore } from '../../src/store/event-store.ts';
import { createPartitionMaintenance } from '../../src/store/partitions.ts';
import { agentAggregate, agentEventTypes } from '../support/agent-aggregate.ts';
import { get, newId, pageWhile, postJson } from '../support/http.ts';
import { createTestDatabase, startTestService, type TestService } from '../support/service.ts';
import { waitUntil } from '../support/wait.ts';

// Partitions of 10 positions, so that every test crosses several boundaries.
const SIZE = 10;
let t: TestService;
beforeAll(async () => {
  t = await startTestService({ EVENTS_PARTITION_SIZE: String(SIZE) }, undefined, { aggregates: [agentAggregate()], eventTypes: agentEventTypes });
  await t.service.partitions.runOnce();
});
afterAll(() => t.close());

async function partitions(): Promise<{ name: string; from: number; to: number; rows: number }[]> {
  const rows = await t.sql<{ name: string; bound: string }[]>`
    select c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bound
    from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'events'::regclass`;
  const out = [];
  for (const r of rows) {
    const [, from, to] = /FROM \('(\d+)'\) TO \('(\d+)'\)/.exec(r.bound)!;
    const [{ n }] = (await t.sql.unsafe(`select count(*)::int as n from "${r.name}"`)) as unknown as [{ n: number }];
    out.push({ name: r.name, from: Number(from), to: Number(to), rows: n });
  }
  return out.sort((a, b) => a.from - b.from);
}

const head = async () => (await get(t.app, '/health')).body.head_position as number;
const published = async () => Number((await t.sql`select events_published_position() as p`)[0]!.p);
const batch = (aggregateId: string, n: number, event_type = 'agent.noted') =>
  Array.from({ length: n }, (_, i) => ({ event_type, aggregate_id: aggregateId, payload: { note: String(i) } }));

describe('the partitioned events table', () => {
  it("keeps at least a partition's worth of positions made beyond the head, at the configured size", async () => {
    const parts = await partitions();
    expect(parts.every((p) => p.to - p.from === SIZE)).toBe(true);
    expect(parts[parts.length - 1]!.to).toBeGreaterThan((await head()) + SIZE);
  });

  it('reads every position once, in order, while appends cross partition boundaries', async () => {
    const start = await head();
    let acked = 0;
    const seen = await pageWhile(t.app, start, 7, () =>
      Promise.all(
        Array.from({ length: 8 }, async (_, w) => {
          for (let i = 0; i < 12; i++) {
            const n = 1 + ((w + i) % 4);
            const res = await postJson(t.app, '/events/batch', { events: [...batch(newId(), 1, 'task.created'), ...batch(newId(), n - 1, 'task.noted')] });
            expect(res.status, res.text).toBe(201);
            acked += n;
          }
        }),
      ),
    );
    expect(seen).toEqual(Array.from({ length: acked }, (_, i) => start + i + 1));
    const parts = await partitions();
    const filled = parts.filter((p) => p.to <= start + acked + 1 && p.from > start + 1);
    expect(filled.length).toBeGreaterThanOrEqual(3);
    expect(filled.every((p) => p.rows === SIZE)).toBe(true);
  });

  it('makes the partitions an append needs when maintenance has fallen behind', async () => {
    const before = await head();
    const res = await postJson(t.app, '/events/batch', { events: batch(newId(), 45) });
    expect(res.status).toBe(201);
    expect(res.body.events.map((e: { position: number }) => e.position)).toEqual(Array.from({ length: 45 }, (_, i) => before + i + 1));
    const parts = await partitions();
    expect(parts[parts.length - 1]!.to).toBeGreaterThan(before + 45);
  });

  it('loads an aggregate, from the start and from a snapshot, and reads by id across partitions', async () => {
    const id = newId();
    const created = await postJson(t.app, '/events', { event_type: 'agent.created', aggregate_id: id, version: 1, payload: { name: 'a' } });
    for (let i = 0; i < 5; i++) {
      await postJson(t.app, '/events/batch', { events: [...batch(newId(), 7), ...batch(id, 2)] });
    }
    const store = createEventStore(t.sql);
    const full = await loadAggregate(store, agentAggregate(), id, { eventTypes: agentEventTypes, pageSize: 3 });
    expect(full.sequence).toBe(11);
    await store.writeSnapshot({ aggregateType: 'agent', aggregateId: id, schemaVersion: 1, sequence: 4, state: (await loadAggregate(store, agentAggregate(), id, { eventTypes: agentEventTypes, atSequence: 4 })).state });
    expect(await loadAggregate(store, agentAggregate(), id, { eventTypes: agentEventTypes, pageSize: 3 })).toEqual({ ...full, fromSnapshot: true });
    const tail = (await store.readAggregate('agent', id, 8, 100)).events.map((j) => JSON.parse(j).sequence);
    expect(tail).toEqual([9, 10, 11]);
    expect((await get(t.app, `/events/${created.body.id}`)).text).toBe(created.text);
    expect((await get(t.app, `/events?aggregate_id=${id}&limit=100`)).body.events.map((e: { sequence: number }) => e.sequence)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
  });
});

describe('immutability', () => {
  it('refuses UPDATE, DELETE and TRUNCATE on events and on each partition', async () => {
    const res = await postJson(t.app, '/events', { event_type: 'task.created', aggregate_id: newId() });
    const part = (await partitions()).find((p) => p.from <= res.body.position && res.body.position < p.to)!.name;
    for (const table of ['events', part]) {
      await expect(t.sql.unsafe(`update "${table}" set payload = '{"x":1}' where position = ${res.body.position}`)).rejects.toThrow(/immutable/);
      await expect(t.sql.unsafe(`delete from "${table}" where position = ${res.body.position}`)).rejects.toThrow(/immutable/);
      await expect(t.sql.unsafe(`truncate "${table}"`)).rejects.toThrow(/immutable/);
    }
    expect((await get(t.app, `/events/${res.body.id}`)).text).toBe(res.text);
  });
});

describe("the archiver's path", () => {
  it('removes one type in a position range, records it, and keeps positions and sequences from being reused', async () => {
    const task = newId(), agent = newId();
    const first = await postJson(t.app, '/events/batch', { events: [...batch(task, 3, 'task.noted'), ...batch(agent, 3, 'agent.noted')] });
    const [from, to] = [first.body.events[0].position, first.body.events[5].position + 1];
    await expect(t.sql`select events_remove('task', ${from}, ${to + 1000}, 'deleted')`).rejects.toThrow(/not published/);
    expect(await waitUntil(async () => (await published()) >= to - 1)).toBe(true);
    await expect(t.sql`select events_remove('task', ${from}, ${to}, 'expired')`).rejects.toThrow(/archived or deleted/);

    expect((await t.sql`select events_remove('task', ${from}, ${to}, 'deleted') as n`)[0]!.n).toBe('3');
    const [removal] = await t.sql`select aggregate_type, from_position, to_position, events, reason from event_removals order by id desc limit 1`;
    expect(removal).toEqual({ aggregate_type: 'task', from_position: String(from), to_position: String(to), events: '3', reason: 'deleted' });
    expect((await get(t.app, `/events?aggregate_id=${task}`)).body.events).toEqual([]);
    expect((await get(t.app, `/events?aggregate_id=${agent}`)).body.events).toHaveLength(3);
    expect((await get(t.app, `/events/${first.body.events[0].id}`)).status).toBe(410);

    const [agg] = await t.sql`select last_sequence, first_retained_sequence from aggregates where aggregate_id = ${task}`;
    expect(agg).toEqual({ last_sequence: '3', first_retained_sequence: '4' });
    const next = await postJson(t.app, '/events', { event_type: 'task.noted', aggregate_id: task, expected_sequence: 3 });
    expect(next.status).toBe(201);
    expect(next.body.sequence).toBe(4);
    expect(next.body.position).toBe((await head()));
    const resend = await postJson(t.app, '/events', { ...batch(task, 1, 'task.noted')[0], id: first.body.events[0].id, payload: { note: '0' } });
    expect(resend.status).toBe(410);
    expect(resend.body.detail).toMatch(/deleted by its retention policy/);
  });

  it('never lets a plain DELETE through, also not in the transaction of a removal', async () => {
    const res = await postJson(t.app, '/events/batch', { events: batch(newId(), 2, 'run.noted') });
    const [a, b] = res.body.events.map((e: { position: number }) => e.position);
    expect(await waitUntil(async () => (await published()) >= b)).toBe(true);
    await expect(
      t.sql.begin(async (tx) => {
        await tx`select events_remove('run', ${a}, ${a + 1}, 'archived')`;
        await tx`delete from events where position = ${b}`;
      }),
    ).rejects.toThrow(/immutable/);
    expect((await get(t.app, `/events?aggregate_type=run`)).body.events).toHaveLength(2);
  });

  it('drops a whole partition once every row is accounted for, and reads go on across the gap', async () => {
    const parts = await partitions();
    const full = parts.find((p) => p.rows === SIZE && p.from > 1)!;
    expect(await waitUntil(async () => (await published()) >= full.to - 1)).toBe(true);
    const lastAhead = parts[parts.length - 1]!;
    await expect(t.sql`select events_drop_partition(${lastAhead.name}, 0, 'archived')`).rejects.toThrow(/not published/);
    await expect(t.sql`select events_drop_partition('snapshots', 0, 'archived')`).rejects.toThrow(/not a partition/);
    await expect(t.sql`select events_drop_partition(${full.name}, ${SIZE - 1}, 'archived')`).rejects.toThrow(/holds 10 events, not 9/);

    expect((await t.sql`select events_drop_partition(${full.name}, ${SIZE}, 'archived') as n`)[0]!.n).toBe('10');
    expect((await partitions()).some((p) => p.name === full.name)).toBe(false);
    const page = (await get(t.app, `/events?after=${full.from - 1}&limit=3`)).body.events.map((e: { position: number }) => e.position);
    expect(page[0]).toBeGreaterThanOrEqual(full.to);
    expect(page).toHaveLength(3);
    const [removed] = await t.sql`select sum(events)::int as n from event_removals where from_position = ${full.from} and reason = 'archived'`;
    expect(removed!.n).toBe(SIZE);
  });
});

describe('the partition size', () => {
  it('is set once per instance: instances started with different sizes do not undo each other every round', async () => {
    const sql = postgres(await createTestDatabase(), { max: 2, onnotice: () => {} });
    const warned: unknown[] = [];
    const maintenance = (size: number) => createPartitionMaintenance({ sql, logger: { warn: (o: unknown) => warned.push(o) }, intervalMs: 60_000, partitionSize: size });
    const sizeNow = async () => Number((await sql`select partition_size from events_partitioning`)[0]!.partition_size);
    try {
      const first = maintenance(20);
      await first.runOnce();
      expect(await sizeNow()).toBe(20);
      await maintenance(30).runOnce(); // started later: its size is the store's now
      expect(await sizeNow()).toBe(30);
      await first.runOnce();
      await first.runOnce();
      expect(await sizeNow()).toBe(30);
      expect(warned).toEqual([{ stored: 30, configured: 20 }]);
    } finally {
      await sql.end();
    }
  });

  it('a size change waits for an append that makes partitions, and neither fails (one lock order)', async () => {
    const sql = postgres(await createTestDatabase(), { max: 4, onnotice: () => {} });
    const append = await sql.reserve();
    try {
      await sql`select events_set_partition_size(10)`;
      // As append_events() does: the head row, then (making partitions) the partitioning lock.
      await append`begin`;
      await append`select 1 from events_head where singleton for update`;
      const change = sql`select events_set_partition_size(10)`.execute();
      expect(await waitUntil(async () => (await sql`select 1 from pg_stat_activity where datname = current_database() and query like 'select events_set_partition_size%' and wait_event_type = 'Lock'`).length > 0)).toBe(true);
      await append`select events_add_partitions((select partitioned_until + 25 from events_partitioning))`;
      await append`commit`;
      await change;
      expect(Number((await sql`select partition_size from events_partitioning`)[0]!.partition_size)).toBe(10);
    } finally {
      append.release();
      await sql.end();
    }
  });
});
