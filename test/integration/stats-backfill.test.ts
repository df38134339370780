import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from '../../src/postgres/migrate.ts';
import { createEventStore } from '../../src/store/event-store.ts';
import { migrateFirst, migrationsBefore } from '../support/migrations.ts';
import { createTestDatabase } from '../support/service.ts';
import { countedDirectly, insertEvents, rollups } from '../support/stats-events.ts';

const BACKFILL = '0012_stats_rollups';
let url: string;
let sql: postgres.Sql;

beforeAll(async () => {
  url = await createTestDatabase({ empty: true });
  sql = postgres(url, { max: 2, onnotice: () => {} });
});
afterAll(async () => {
  await sql.end();
});

describe('the stats backfill migration', () => {
  it('counts the events stored before it, and the projection goes on from there exactly once', async () => {
    // The database as the version before the backfill left it.
    await migrateFirst(url, migrationsBefore(BACKFILL));
    expect((await sql`select count(*) as n from projection_checkpoints`)[0]!.n).toBe('0');

    let at = Date.parse('2026-02-27T23:58:00Z');
    const types = ['agent.created', 'task.created', 'task.failed'];
    const old = await insertEvents(sql, Array.from({ length: 300 }, (_, i) => ({ eventType: types[i % 3]!, at: (at += 1_777) })));
    await runMigrations(url);
    expect(Number((await sql`select position from projection_checkpoints where name = 'stats'`)[0]!.position)).toBe(old);
    for (const g of ['minute', 'hour', 'day'] as const) expect(await rollups(sql, g), g).toEqual(await countedDirectly(sql, g, old));

    const head = await insertEvents(sql, Array.from({ length: 40 }, (_, i) => ({ eventType: types[i % 3]!, at: (at += 60_000) })));
    const store = createEventStore(sql);
    while ((await store.statsPosition()) < head) await store.projectStats(7);
    for (const g of ['minute', 'hour', 'day'] as const) expect(await rollups(sql, g), g).toEqual(await countedDirectly(sql, g, head));
  });
});
