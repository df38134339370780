// Where to keep GET /stats' rollups: inside the append transaction, or after the commit.
//   npx tsx bench/probes/stats-rollups.ts [seconds per slice, default 2] [rounds, default 15]
// In process, through the append queue as the service uses it (group commit, 2 transactions
// in flight), 1 and 16 concurrent clients, each appending one event at a time (12 event
// types). Variants, each on its own fresh database:
//   none          the append function as it is, nothing counted (the baseline)
//   in-append     a scratch copy of append_events() whose fast path also upserts the minute,
//                 hour and day rollups in the same statement (only in this probe's database)
//   trigger       the append function as it is plus an AFTER INSERT statement trigger doing the
//                 same upsert (in the transaction, whatever the append function becomes)
//   after-commit  the append function as it is, and the stats projector counting after commits
// Prints appends/s, p50 and p99 over all slices; for after-commit, the projection's lag when
// the load stopped and how long it took to catch up.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import type { NewEvent } from '../../src/events/event.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createDatabase as connect } from '../../src/postgres/database.ts';
import { MIGRATIONS_FOLDER } from '../../src/postgres/migrate.ts';
import { createStatsProjector } from '../../src/stats/stats-projector.ts';
import { createAppendQueue } from '../../src/store/append-queue.ts';
import { createEventStore } from '../../src/store/event-store.ts';
import { cleanup, createDatabase } from '../lib.ts';
import { percentile } from '../http-load.ts';

const SECONDS = Number(process.argv[2] ?? 2);
const ROUNDS = Number(process.argv[3] ?? 15);
const TYPES = ['agent', 'task', 'plan', 'run'].flatMap((a) => ['created', 'updated', 'completed'].map((v) => [a, `${a}.${v}`] as const));
const UPSERT = (from: string) => `INSERT INTO stats_rollups AS r (granularity, bucket_start, event_type, aggregate_type, count)
  SELECT g.granularity, date_trunc(g.granularity, x.created_at, 'UTC'), x.event_type, x.aggregate_type, count(*)
  FROM ${from} x CROSS JOIN (VALUES ('minute'), ('hour'), ('day')) AS g(granularity)
  GROUP BY 1, 2, 3, 4
  ON CONFLICT (granularity, bucket_start, event_type) DO UPDATE SET count = r.count + excluded.count`;

function inAppendFunction(): string {
  const original = readFileSync(join(MIGRATIONS_FOLDER, '0002_append_fast_path.sql'), 'utf8');
  const returning = 'RETURNING e.id, e.position, event_json(e) AS json';
  if (!original.includes(returning) || !original.includes('), head AS (')) throw new Error('0002_append_fast_path.sql changed: update this probe');
  return original
    .replace(returning, `${returning}, e.event_type, e.aggregate_type, e.created_at`)
    .replace('), head AS (', `), rollup AS (\n${UPSERT('inserted')}\n    ), head AS (`);
}

async function prepare(variant: string, sql: postgres.Sql) {
  if (variant === 'in-append') await sql.unsafe(inAppendFunction());
  if (variant === 'trigger') {
    await sql.unsafe(`CREATE FUNCTION stats_rollup_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN ${UPSERT('new_events')}; RETURN NULL; END $$`);
    await sql.unsafe(`CREATE TRIGGER events_stats AFTER INSERT ON events REFERENCING NEW TABLE AS new_events
      FOR EACH STATEMENT EXECUTE FUNCTION stats_rollup_trigger()`);
  }
}

const event = (): NewEvent => {
  const [aggregateType, eventType] = TYPES[Math.floor(Math.random() * TYPES.length)]!;
  return { id: randomUUID(), eventType, aggregateType, aggregateId: randomUUID(), payload: { name: 'explore-agent', step: 1 }, metadata: {}, version: 1, expectedSequence: null };
};

interface Setup { variant: string; sql: postgres.Sql; append(): Promise<void>; close(): Promise<string> }

async function setUp(variant: string): Promise<Setup> {
  const url = await createDatabase();
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  await prepare(variant, sql);
  const db = connect({ url, poolMax: 1, appendConnections: 2, connectTimeoutSeconds: 5, statementTimeoutMs: 30_000 });
  const projector = variant === 'after-commit'
    ? createStatsProjector({ store: createEventStore(db.dedicated('stats', { synchronous_commit: 'off' })), batchSize: 10_000, idleMs: 1_000, intervalMs: 0, logger: createLogger('silent') })
    : null;
  const queue = createAppendQueue({ store: createEventStore(db.appends), maxInFlight: 2, maxBatchEvents: 2000, onCommitted: (c) => projector?.notify(c.at(-1)!.position) });
  projector?.start();
  return {
    variant, sql,
    async append() {
      const outcome = await queue.append([event()]);
      if (!outcome.ok) throw outcome.error;
    },
    async close() {
      let note = '';
      if (projector) {
        const head = Number((await sql`select last_position from events_head`)[0]!.last_position);
        const counted = () => sql`select position from projection_checkpoints where name = 'stats'`.then((r) => Number(r[0]!.position));
        const lag = head - (await counted());
        const t = performance.now();
        while ((await counted()) < head) await new Promise((r) => setTimeout(r, 5));
        note = `lag when the load stopped ${lag} events, caught up ${(performance.now() - t).toFixed(0)} ms later`;
        await projector.stop();
      }
      const [row] = await sql<{ n: string; events: string }[]>`
        select (select coalesce(sum(count), 0) from stats_rollups where granularity = 'day') as n, (select count(*) from events) as events`;
      if (variant !== 'none' && row!.n !== row!.events) throw new Error(`${variant}: counted ${row!.n} of ${row!.events}`);
      await db.close();
      await sql.end();
      return note;
    },
  };
}

/** `clients` loops appending one event at a time for `seconds`; latencies in ms. */
async function slice(setup: Setup, clients: number, seconds: number): Promise<number[]> {
  const lat: number[] = [];
  const end = performance.now() + seconds * 1000;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (performance.now() < end) {
      const t = performance.now();
      await setup.append();
      lat.push(performance.now() - t);
    }
  }));
  return lat;
}

// The machine is shared: the variants take turns in short slices (in a new random order each
// round), so a noisy moment falls on all of them alike.
const variants = ['none', 'in-append', 'trigger', 'after-commit'];
try {
  for (const clients of [1, 16]) {
    const setups: Setup[] = [];
    for (const v of variants) setups.push(await setUp(v));
    for (const s of setups) await slice(s, clients, 1); // warm-up, not counted
    const lat = new Map<string, number[]>(variants.map((v) => [v, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const s of [...setups].sort(() => Math.random() - 0.5)) lat.get(s.variant)!.push(...(await slice(s, clients, SECONDS)));
    }
    const rate = (v: string) => lat.get(v)!.length / (ROUNDS * SECONDS);
    for (const s of setups) {
      const note = await s.close();
      const sorted = lat.get(s.variant)!.sort((a, b) => a - b);
      console.log(`${String(clients).padStart(2)} clients  ${s.variant.padEnd(12)} ${rate(s.variant).toFixed(0).padStart(6)} appends/s (${(rate(s.variant) / rate('none')).toFixed(2)}x none)  p50 ${percentile(sorted, 50).toFixed(3)} ms  p99 ${percentile(sorted, 99).toFixed(3)} ms  ${note}`);
    }
  }
} finally {
  await cleanup();
}
process.exit(0);
