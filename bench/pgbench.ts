import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { createDatabase, DURATION_S } from './lib.ts';

const run = promisify(execFile);
const payload = JSON.stringify({ name: 'explore-agent', agent_type: 'exploration' });
const metadata = JSON.stringify({ session_id: 'session-123', correlation_id: 'corr-456' });

/**
 * The raw baseline of an append: the rows one append of `rows` new events (each of a new
 * aggregate) writes, in ONE statement and one transaction: the events rows into the partitioned
 * events table (all its indexes and checks), their ids into event_ids and their aggregates into
 * aggregates. Positions come from a sequence, created_at from now(). No lock, no check, no
 * answer: what PostgreSQL itself needs to store the same rows.
 */
export function rawAppendScript(rows: number): string {
  return `${rawRowsStatement(`nextval('raw_position')`, String(rows))};\n`;
}

/** rawAppendScript()'s statement with positions from `position` (an expression of g, 1..rows) for `rows` rows. */
export function rawRowsStatement(position: string, rows: string): string {
  return `with r as (
  select ${position} as position, gen_random_uuid() as id, gen_random_uuid() as aggregate_id
  from generate_series(1, ${rows}) g
), e as (
  insert into events (position, id, event_type, aggregate_type, aggregate_id, sequence, payload, metadata, version, created_at)
  select r.position, r.id, 'agent.created', 'agent', r.aggregate_id, 1, '${payload}', '${metadata}', 1, now() from r
  returning position, id, aggregate_id
), i as (
  insert into event_ids (id, position) select id, position from e
)
insert into aggregates (aggregate_id, aggregate_type, last_sequence, first_position, last_position)
select aggregate_id, 'agent', 1, position, position from e`;
}

/**
 * The bound of the serial design without our code: `locked_append(n)` takes the events_head
 * lock, writes rawAppendScript()'s rows at the next n positions and moves the head; on a
 * migrated database (positions from the head: not beside rawSetup()'s sequence).
 */
export const lockedAppendSetup = `create function locked_append(n int) returns void language plpgsql as $$
declare v bigint;
begin
  select last_position into v from events_head where singleton for update;
  ${rawRowsStatement('v + g', 'n')};
  update events_head set last_position = v + n where singleton;
end $$;`;

/** A fresh migrated database ready for rawAppendScript() or locked_append() (one database each: their positions collide). */
export async function rawDatabase(): Promise<string> {
  const url = await createDatabase();
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  await sql.unsafe(rawSetup(5_000_000));
  await sql.unsafe(lockedAppendSetup);
  await sql.end();
  return url;
}

/** The raw baseline on a database of its own: events/s of `rows`-row statements at `clients` connections, DURATION_S each call. */
export async function rawBaseline(clients: number, rows = 1): Promise<() => Promise<number>> {
  const url = await rawDatabase();
  return async () => rows * (await pgbench(url, rawAppendScript(rows), { clients, seconds: DURATION_S })).tps;
}

/**
 * The serial bound on a database of its own, for `clients` connections' appends: two transactions
 * in flight, each taking half of them (`rows` each for batches); events/s, DURATION_S each call.
 */
export async function serialBound(clients: number, rows = 1): Promise<() => Promise<number>> {
  const url = await rawDatabase();
  const g = rows > 1 ? rows : Math.max(1, Math.ceil(clients / 2));
  return async () => g * (await pgbench(url, `select locked_append(${g});`, { clients: Math.min(2, clients), seconds: DURATION_S })).tps;
}

/** Prepares a fresh migrated database for rawAppendScript(), with partitions for `rows` rows. */
export const rawSetup = (rows = 1_000_000) => `create sequence raw_position;
select events_add_partitions(${rows + 1});`;

export const hasPgbench = () => spawnSync('pgbench', ['--version']).status === 0;

export interface PgbenchResult {
  tps: number;
  /** Per-transaction latencies in ms, sorted (only with `log`). */
  latencies: number[];
}

/**
 * pgbench against `url` (no vacuum, prepared statements, 2 threads): `clients` connections for
 * `seconds`, optionally rate-limited (-R, per second over all clients) and logging every
 * transaction's latency.
 */
export async function pgbench(url: string, script: string, o: { clients: number; seconds: number; rate?: number; log?: boolean }): Promise<PgbenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'evbench-'));
  try {
    writeFileSync(join(dir, 'script.sql'), script);
    const u = new URL(url);
    const args = ['-h', u.hostname, '-p', u.port || '5432', '-U', decodeURIComponent(u.username || 'postgres'), '-n', '-M', 'prepared',
      '-f', join(dir, 'script.sql'), '-c', String(o.clients), '-j', String(Math.min(2, o.clients)), '-T', String(o.seconds)];
    if (o.rate) args.push('-R', String(o.rate));
    if (o.log) args.push('-l', '--log-prefix', join(dir, 'log'));
    const { stdout } = await run('pgbench', [...args, u.pathname.slice(1)], { env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password) } });
    const tps = Number(/tps = ([\d.]+)/.exec(stdout)?.[1]);
    const latencies: number[] = [];
    for (const f of readdirSync(dir).filter((f) => f.startsWith('log'))) {
      for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
        const cols = line.split(' ');
        if (cols.length >= 3) latencies.push(Number(cols[2]) / 1000); // microseconds
      }
    }
    return { tps, latencies: latencies.sort((a, b) => a - b) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
