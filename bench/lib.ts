import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import ts from 'typescript';
import { freePort } from '../src/postgres/free-port.ts';
import { buildIfStale } from '../test/support/build.ts';
import { parseEventQueryString } from '../src/events/query-input.ts';
import { eventQuery } from '../src/store/event-query.ts';
import { runMigrations } from '../src/postgres/migrate.ts';
import { withDatabaseName } from '../src/postgres/url.ts';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const adminUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const redisUrl = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Seconds per measurement, and rounds per comparison (medians are reported). */
export const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
export const REPEAT = Number(process.env.BENCH_REPEAT ?? 1);

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** One measured figure. `ratio` compares it with a baseline measured in the same run. */
export interface BenchRow {
  suite: string;
  name: string;
  value: number;
  unit: string;
  baseline?: string;
  ratio?: number;
  note?: string;
}

const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const created: string[] = [];
const stops: (() => Promise<void>)[] = [];

export function databaseUrl(name: string): string {
  return withDatabaseName(adminUrl, name);
}

/** A fresh database for one measurement, migrated unless asked not to; dropped at the end. */
export async function createDatabase(migrated = true): Promise<string> {
  const name = `evb_${runId}_${created.length}`;
  created.push(name); // before any await: concurrent calls get names of their own
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  await admin.end();
  const url = databaseUrl(name);
  if (migrated) await runMigrations(url);
  return url;
}

/** The service as `npm start` runs it, compiled, in its own process (`nodeArgs`: e.g. --cpu-prof). */
export function startService(env: Record<string, string>, nodeArgs: string[] = []): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  ensureBuilt();
  return startServer([...nodeArgs, 'dist/main.js', 'serve'], env);
}

export const ensureBuilt = () => buildIfStale('bench');

/**
 * A self-contained bench script (`path` from the repository's root, importing only packages)
 * compiled to JavaScript, for node to run without tsx's loader, as the service runs from dist/.
 * Written under node_modules/.cache so that its imports resolve from the repository's packages.
 */
export function compiledScript(path: string): string {
  const out = join(ROOT, 'node_modules/.cache/event-service-bench', basename(path).replace(/\.ts$/, '.mjs'));
  const { outputText } = ts.transpileModule(readFileSync(join(ROOT, path), 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
    fileName: path,
  });
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, outputText);
  return out;
}

/** A node process (`args`, run from the repository's root) that listens on PORT and answers GET /health once ready. */
export async function startServer(args: string[], env: Record<string, string>): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', REDIS_URL: redisUrl, REDIS_CHANNEL_PREFIX: `bench-${runId}:`, ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('service did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async () => {
    // A process a signal ended has no exit code, only a signal code: waiting for its exit would never end.
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  stops.push(stop);
  return { url, pid: child.pid!, stop };
}

/** CPU time (user + system, ms) a process has used so far, from /proc (Linux); NaN elsewhere. */
export function cpuTimeMs(pid: number): number {
  try {
    // Fields after the command name: utime and stime are the 12th and 13th, in clock ticks (100/s).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

/** CPU time (ms) every process on the machine has used so far, from /proc/stat (Linux; NaN elsewhere): idle and iowait excluded. */
export function machineCpuMs(): number {
  try {
    // cpu  user nice system idle iowait irq softirq steal ... in clock ticks (100/s)
    const [user, nice, system, , , irq, softirq] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return (user! + nice! + system! + irq! + softirq!) * 10;
  } catch {
    return NaN;
  }
}

/** Stops services and drops the databases this run created (kept with BENCH_KEEP_DATABASES=1). */
export async function cleanup() {
  for (const stop of stops) await stop().catch(() => {});
  if (process.env.BENCH_KEEP_DATABASES === '1') {
    console.log(`kept databases: ${created.join(', ')}`);
    return;
  }
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  for (const name of created) await admin.unsafe(`drop database if exists "${name}" with (force)`).catch(() => {});
  await admin.end();
}

/**
 * The read benchmarks' history: through the service, one aggregate of 100 events among 20,000
 * others (every 200th event of twenty 1,000-event batches), then ANALYZE and a caught-up relay.
 * Returns the aggregate's id.
 */
export async function seedAggregateHistory(baseUrl: string, databaseUrl: string): Promise<string> {
  const aggregateId = randomUUID();
  const payload = { name: 'explore-agent', agent_type: 'exploration' };
  for (let b = 0; b < 20; b++) {
    const events = Array.from({ length: 1000 }, (_, i) => ({ event_type: 'task.progressed', aggregate_id: i % 200 === 0 ? aggregateId : randomUUID(), payload }));
    const res = await fetch(`${baseUrl}/events/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events }) });
    if (res.status !== 201) throw new Error(`seeding failed: ${res.status}`);
    await res.arrayBuffer();
  }
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  await sql`analyze events`;
  await sql.end();
  await waitForRelay(baseUrl);
  return aggregateId;
}

/**
 * The raw baseline of a read: the very statement GET /events runs for this path's query string
 * (eventQuery()), prepared, run by postgres.js in this process with no HTTP.
 */
export function rawEventQuery(sql: postgres.Sql, path: string): () => Promise<unknown> {
  const { text, params } = eventQuery(parseEventQueryString(path.slice(path.indexOf('?') + 1)));
  return () => sql.unsafe(text, params, { prepare: true });
}

/**
 * Quantiles of a Prometheus histogram over the window between two scrapes of /metrics,
 * interpolated linearly within a bucket (as PromQL's histogram_quantile() does).
 */
export function histogramQuantiles(before: string, after: string, name: string, qs: number[]): number[] & { count: number } {
  const buckets = (text: string) =>
    [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\S+)$`, 'gm'))].map((m) => ({ le: Number(m[1]), n: Number(m[2]) }));
  const b0 = buckets(before);
  const window = buckets(after).map((b, i) => ({ le: b.le, n: b.n - (b0[i]?.n ?? 0) }));
  const total = window[window.length - 1]?.n ?? 0;
  const result = qs.map((q) => {
    const rank = q * total;
    const i = window.findIndex((b) => b.n >= rank);
    if (i < 0 || total === 0) return NaN;
    const lower = i === 0 ? 0 : window[i - 1]!.le, below = i === 0 ? 0 : window[i - 1]!.n;
    const upper = window[i]!.le;
    if (!Number.isFinite(upper)) return lower;
    return lower + ((upper - lower) * (rank - below)) / Math.max(1, window[i]!.n - below);
  });
  return Object.assign(result, { count: total });
}

/** Waits until the service's relay has published everything committed (publish_lag 0). */
export async function waitForRelay(baseUrl: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const health = (await (await fetch(`${baseUrl}/health`)).json()) as { publish_lag: number };
    if (health.publish_lag === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('relay did not catch up');
}

/** An aggregate's page as the store read it before pages were bounded in bytes: `limit` rows, a short page the last (page-bytes and load-bytes probes). */
export const unbudgetedAggregateQuery = (type: string, id: string, afterSequence: number, limit: number, afterPosition = 0) => ({
  text: `select event_json(e) as json, e.position from events e
    where e.aggregate_id = $1 and e.aggregate_type = $2 and e.sequence > $3 and e.position > $4
    order by e.position limit $5`,
  params: [id, type, afterSequence, afterPosition, limit],
});
