import { createHash } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from '../../src/postgres/migrate.ts';
import { createEventStore } from '../../src/store/event-store.ts';
import { get, postJson } from '../support/http.ts';
import { seedUnpartitionedStore, UNPARTITIONED_MIGRATIONS } from '../support/legacy-store.ts';
import { migrateFirst } from '../support/migrations.ts';
import { createTestDatabase, startTestService } from '../support/service.ts';

// bench/probes/migrate-1m.ts runs the same at 1M events.
const EVENTS = 100_000;
const md5 = (text: string) => createHash('md5').update(text).digest('hex');

let url: string;
let sql: postgres.Sql;
beforeAll(async () => {
  url = await createTestDatabase({ empty: true });
  await migrateFirst(url, UNPARTITIONED_MIGRATIONS);
  sql = postgres(url, { max: 2, onnotice: () => {} });
  await seedUnpartitionedStore(sql, EVENTS);
}, 120_000);
afterAll(() => sql.end());

describe('a store filled by the unpartitioned version', () => {
  it('migrates, and reads back whole: every event byte for byte, ids, sequences and snapshots', { timeout: 180_000 }, async () => {
    await sql`create table legacy_events as select position, id, md5(event_json(e)) as json_md5 from events e`;
    const aggregatesBefore = await sql`select aggregate_type, aggregate_id, max(sequence)::text as last from events group by 1, 2 order by 1, 2`;
    const snapshotsBefore = await sql`select md5(string_agg(s::text, ',' order by aggregate_id, schema_version)) as h from snapshots s`;

    const started = performance.now();
    await runMigrations(url);
    console.log(`migrated ${EVENTS.toLocaleString('en')} events in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    const legacy = new Map((await sql<{ position: string; json_md5: string }[]>`select position, json_md5 from legacy_events`).map((r) => [Number(r.position), r.json_md5]));
    const store = createEventStore(sql);
    let after = 0;
    let read = 0;
    for (;;) {
      const page = await store.query({ after, limit: 1000, offset: 0, order: 'asc' });
      for (const json of page.events) {
        const position = JSON.parse(json).position as number;
        expect(position).toBe(after + 1);
        expect(md5(json)).toBe(legacy.get(position));
        after = position;
        read++;
      }
      if (page.nextAfter === null) break;
    }
    expect(read).toBe(EVENTS);

    const [ids] = await sql`select count(*)::int as n, count(*) filter (where l.position = d.position)::int as same
      from event_ids d left join legacy_events l on l.id = d.id`;
    expect(ids).toEqual({ n: EVENTS, same: EVENTS });
    expect(await sql`select aggregate_type, aggregate_id, last_sequence::text as last from aggregates order by 1, 2`).toEqual(aggregatesBefore);
    expect(await sql`select md5(string_agg(s::text, ',' order by aggregate_id, schema_version)) as h from snapshots s`).toEqual(snapshotsBefore);
  });

  it('takes appends after the migration: sequences continue, a resent id is a duplicate', async () => {
    const t = await startTestService({}, url);
    try {
      const [old] = await sql<{ id: string; aggregate_id: string }[]>`select id, aggregate_id from events where position = 5`;
      const stored = await get(t.app, `/events/${old!.id}`);
      const { event_type, aggregate_id, payload, metadata, version } = stored.body;
      const resend = await postJson(t.app, '/events', { id: old!.id, event_type, aggregate_id, payload, metadata, version });
      expect(resend.status).toBe(200);
      expect(resend.text).toBe(stored.text);

      const next = await postJson(t.app, '/events', { event_type, aggregate_id, expected_sequence: 10 });
      expect(next.status).toBe(201);
      expect(next.body).toMatchObject({ sequence: 11, position: EVENTS + 1 });
    } finally {
      await t.close();
    }
  });
});
