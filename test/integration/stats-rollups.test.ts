import fc from 'fast-check';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventStore } from '../../src/store/event-store.ts';
import { createTestDatabase } from '../support/service.ts';
import { countedDirectly, insertEvents, rollups } from '../support/stats-events.ts';
import { waitUntil } from '../support/wait.ts';

let url: string;
let sql: postgres.Sql;
beforeAll(async () => {
  url = await createTestDatabase();
  sql = postgres(url, { max: 4, onnotice: () => {}, connection: { TimeZone: 'UTC' } });
});
afterAll(() => sql.end());

const TYPES = ['agent.created', 'agent.renamed', 'task.created', 'task.failed'];
const checkpoint = async () => Number((await sql`select position from projection_checkpoints where name = 'stats'`)[0]!.position);

/** Projects until the checkpoint reaches `head`, with the given batch sizes in turn. */
async function projectTo(head: number, sizes: number[], store = createEventStore(sql)) {
  for (let i = 0; (await checkpoint()) < head; i++) await store.projectStats(sizes[i % sizes.length]!);
}

async function expectExact(head: number) {
  for (const g of ['minute', 'hour', 'day'] as const) {
    expect(await rollups(sql, g), g).toEqual(await countedDirectly(sql, g, head));
  }
}

describe('stats rollups', () => {
  it('equal the events counted per UTC bucket and type, whatever the batch sizes and spread in time', async () => {
    let at = Date.parse('2026-03-28T22:58:30Z');
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ type: fc.constantFrom(...TYPES), gap: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 90_000 }), fc.integer({ min: 1, max: 30 * 3_600_000 })) }), { maxLength: 60 }),
        fc.array(fc.integer({ min: 1, max: 25 }), { minLength: 1, maxLength: 4 }),
        async (events, sizes) => {
          const head = await insertEvents(sql, events.map((e) => ({ eventType: e.type, at: (at += e.gap) })));
          if (head > 0) await projectTo(head, sizes);
          await expectExact(await checkpoint());
        },
      ),
      { numRuns: 25 },
    );
  });

  it('count every event exactly once while two projectors race and events keep coming', async () => {
    const other = postgres(url, { max: 2, onnotice: () => {} });
    const stores = [createEventStore(sql), createEventStore(other)];
    let at = Date.parse('2026-05-01T00:00:00Z');
    let writing = true;
    const racers = stores.map(async (store, i) => {
      while (writing) await store.projectStats(3 + i * 4);
    });
    for (let round = 0; round < 30; round++) await insertEvents(sql, Array.from({ length: 7 }, (_, k) => ({ eventType: TYPES[k % 4]!, at: (at += 7_000) })));
    writing = false;
    await Promise.all(racers);
    const head = Number((await sql`select max(position) as p from events`)[0]!.p);
    await projectTo(head, [50]);
    await expectExact(head);
    await other.end();
  });

  it('a projection whose session is killed mid-statement counts nothing; the next one counts those events once', async () => {
    let at = Date.parse('2026-06-01T10:00:00Z');
    const head = await insertEvents(sql, Array.from({ length: 5 }, () => ({ eventType: 'task.created', at: (at += 1000) })));
    const before = await checkpoint();
    // Hold the row the projection must update, so it waits inside its statement, then kill it there.
    const blocker = postgres(url, { max: 1, onnotice: () => {} });
    const victim = postgres(url, { max: 1, onnotice: () => {}, connection: { application_name: 'stats-victim' } });
    const held = blocker.begin(async (tx) => {
      await tx`insert into stats_rollups (granularity, bucket_start, event_type, aggregate_type, count) values ('day', '2026-06-01T00:00:00Z', 'task.created', 'task', 0) on conflict do nothing`;
      await tx`select 1 from stats_rollups where granularity = 'day' and bucket_start = '2026-06-01T00:00:00Z' and event_type = 'task.created' for update`;
      const cut = createEventStore(victim).projectStats(100).then(() => 'finished', () => 'cut off');
      // From another session: a transaction sees pg_stat_activity as it was when it began.
      const waiting = async () => (await sql`select pid from pg_stat_activity where application_name = 'stats-victim' and wait_event_type = 'Lock'`)[0];
      expect(await waitUntil(async () => (await waiting()) !== undefined)).toBe(true);
      await sql`select pg_terminate_backend(${(await waiting())!.pid})`;
      return cut;
    });
    expect(await held).toBe('cut off');
    expect(await checkpoint()).toBe(before);
    await projectTo(head, [100]);
    await expectExact(head);
    await blocker.end({ timeout: 1 });
    await victim.end({ timeout: 1 });
  });

  it('GET /stats reads the rollups only: a role that may not read events answers it', async () => {
    const role = `stats_reader_${Math.random().toString(36).slice(2, 10)}`;
    await sql.unsafe(`create role ${role} login`);
    try {
      await sql.unsafe(`grant select on stats_rollups, projection_checkpoints to ${role}`);
      const reader = postgres(url, { max: 1, onnotice: () => {}, username: role });
      const store = createEventStore(reader);
      const answer = await store.stats({ bucket: 'day', from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' });
      expect(answer.rows.length).toBeGreaterThan(0);
      expect(answer.upTo).toBe(await checkpoint());
      await expect(store.headPosition()).rejects.toThrow(/permission denied/);
      await expect(store.getEvent('00000000-0000-4000-8000-000000000001')).rejects.toThrow(/permission denied/);
      await reader.end();
    } finally {
      await sql.unsafe(`drop owned by ${role}`);
      await sql.unsafe(`drop role ${role}`);
    }
  });
});
