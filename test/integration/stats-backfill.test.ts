import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { MIGRATIONS_FOLDER, runMigrations } from '../../src/postgres/migrate.ts';
import { createEventStore } from '../../src/store/event-store.ts';
import { adminDatabaseUrl, databaseUrl } from '../support/env.ts';
import { countedDirectly, insertEvents, rollups } from '../support/stats-events.ts';

const BACKFILL = '0006_stats_rollups';
let url: string;
let sql: postgres.Sql;
let before: string;

beforeAll(async () => {
  const name = `evt_${inject('runId')}_backfill`;
  const admin = postgres(adminDatabaseUrl(), { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  await admin.end();
  url = databaseUrl(name);
  sql = postgres(url, { max: 2, onnotice: () => {} });
  // The migrations as they were before the backfill: the same folder, its journal cut there.
  before = mkdtempSync(join(tmpdir(), 'evt-migrations-'));
  cpSync(MIGRATIONS_FOLDER, before, { recursive: true });
  const journal = JSON.parse(readFileSync(join(before, 'meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] };
  journal.entries = journal.entries.slice(0, journal.entries.findIndex((e) => e.tag === BACKFILL));
  writeFileSync(join(before, 'meta/_journal.json'), JSON.stringify(journal));
});
afterAll(async () => {
  await sql.end();
  rmSync(before, { recursive: true, force: true });
});

describe('the stats backfill migration', () => {
  it('counts the events stored before it, and the projection goes on from there exactly once', async () => {
    const client = postgres(url, { max: 1, onnotice: () => {} });
    await migrate(drizzle({ client }), { migrationsFolder: before });
    await client.end();
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
