import { randomBytes } from 'node:crypto';
import { type AddressInfo, createServer } from 'node:net';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRedisUrl } from '../support/env.ts';
import { freePort } from '../../src/postgres/free-port.ts';
import { spawnServiceProcess, startServiceProcess, type ServiceProcess } from '../support/process.ts';
import { createTestDatabase, newChannelPrefix } from '../support/service.ts';
import { waitUntil } from '../support/wait.ts';

// The service as a process that cannot start, or is stopped while it starts: one line saying why.
let url: string;
const channelPrefix = newChannelPrefix();
const running: ServiceProcess[] = [];

beforeAll(async () => {
  url = await createTestDatabase({ empty: true });
});
afterAll(() => {
  for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
});

describe('the service as a process, starting', () => {
  it('says in one line why it cannot start when PostgreSQL is not there, the database is missing or the login is refused', async () => {
    const { username, host } = new URL(url);
    const cases = [
      { databaseUrl: 'postgres://postgres@127.0.0.1:1/x', says: 'cannot reach PostgreSQL at 127.0.0.1:1/x (connect ECONNREFUSED' },
      { databaseUrl: `postgres://${username}@${host}/evt_no_such_database`, says: `PostgreSQL at ${host}/evt_no_such_database: database "evt_no_such_database" does not exist; create it` },
      // (trust: the role does not exist; password auth: the password is wrong)
      { databaseUrl: `postgres://evt_no_such_role@${host}/postgres`, says: `PostgreSQL at ${host}/postgres refused the login (` },
    ];
    for (const { databaseUrl, says } of cases) {
      const p = spawnServiceProcess({ DATABASE_URL: databaseUrl, REDIS_URL: testRedisUrl }, await freePort());
      expect(await p.exited).toBe(1);
      expect(p.output()).toContain(`event service failed to start: ${says}`);
      expect(p.output()).not.toMatch(/^\s+at /m); // no stack trace
    }
  });

  it('refuses to start with a DATABASE_READ_URL whose database or login is wrong; starts without an unreachable replica, reading the primary', async () => {
    const { username, host } = new URL(url);
    const cases = [
      { readUrl: `postgres://${username}@${host}/evt_no_such_database`, says: 'does not exist; create it (createdb) or name an existing database in DATABASE_READ_URL' },
      { readUrl: `postgres://evt_no_such_role@${host}/postgres`, says: 'check the user and password in DATABASE_READ_URL' },
    ];
    for (const { readUrl, says } of cases) {
      const p = spawnServiceProcess({ DATABASE_URL: url, DATABASE_READ_URL: readUrl, REDIS_URL: testRedisUrl, REDIS_CHANNEL_PREFIX: channelPrefix }, await freePort());
      running.push(p);
      expect(await p.exited, p.output()).toBe(1);
      expect(p.output()).toContain(says);
      expect(p.output()).not.toMatch(/^\s+at /m);
    }
    const port = await freePort();
    const p = await startServiceProcess({ DATABASE_URL: url, DATABASE_READ_URL: 'postgres://postgres@127.0.0.1:1/x', REDIS_URL: testRedisUrl, REDIS_CHANNEL_PREFIX: channelPrefix }, port);
    running.push(p);
    expect(p.output()).toContain('the read replica does not answer: reads go to the primary until it does');
    expect((await fetch(`http://127.0.0.1:${port}/events?limit=1`)).status).toBe(200);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  });

  it.skipIf(process.getuid?.() !== 0)('as root without DATABASE_URL, names the missing EMBEDDED_POSTGRES_USER in one line', async () => {
    const p = spawnServiceProcess({ DATABASE_URL: '', EMBEDDED_POSTGRES_USER: 'evt_no_such_user', EMBEDDED_POSTGRES_DIR: `/tmp/evt-embedded-${randomBytes(4).toString('hex')}`, REDIS_URL: testRedisUrl }, await freePort());
    running.push(p);
    expect(await p.exited).toBe(1);
    expect(p.output()).toContain('there is no user "evt_no_such_user" to run it as');
    expect(p.output()).not.toContain('no such user'); // id's own line, printed before ours until this fix
  });

  it('while another instance holds the migrations, says it waits, and a SIGTERM then ends the start at once (exit 0)', async () => {
    const holder = postgres(url, { max: 1, onnotice: () => {} });
    const held = await holder.reserve();
    await held`select pg_advisory_lock(hashtext('event-service:migrations'))`;
    try {
      const p = spawnServiceProcess({ DATABASE_URL: url, REDIS_URL: testRedisUrl, REDIS_CHANNEL_PREFIX: channelPrefix }, await freePort());
      running.push(p);
      expect(await waitUntil(() => p.output().includes('waiting for another instance to finish migrating'), 20_000)).toBe(true);
      const signalled = Date.now();
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      expect(Date.now() - signalled).toBeLessThan(5_000); // it waited for the lock's holder until this fix (unbounded)
      expect(p.output()).toContain('event service stopped during start-up: stopped while waiting for another instance to finish migrating');
      expect(p.output()).not.toContain('event service listening');
    } finally {
      held.release();
      await holder.end();
    }
  });

  it('says so in one line when something other than PostgreSQL answers at DATABASE_URL, or the port is taken', async () => {
    // postgres.js opened connection after connection to it without end; the start hung.
    const notPostgres = createServer((socket) => {
      socket.on('error', () => {});
      socket.on('data', () => socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n'));
    });
    const busy = createServer();
    await Promise.all([new Promise<void>((r) => notPostgres.listen(0, '127.0.0.1', r)), new Promise<void>((r) => busy.listen(0, '127.0.0.1', r))]);
    try {
      const other = (notPostgres.address() as AddressInfo).port;
      const p = spawnServiceProcess({ DATABASE_URL: `postgres://postgres@127.0.0.1:${other}/x`, DATABASE_CONNECT_TIMEOUT_S: '1', REDIS_URL: testRedisUrl }, await freePort());
      expect(await p.exited).toBe(1);
      expect(p.output()).toContain(`event service failed to start: no answer from PostgreSQL at 127.0.0.1:${other}/x within 1 s`);

      const taken = (busy.address() as AddressInfo).port;
      const q = spawnServiceProcess({ DATABASE_URL: url, REDIS_URL: testRedisUrl, REDIS_CHANNEL_PREFIX: channelPrefix, HOST: '127.0.0.1' }, taken);
      expect(await q.exited).toBe(1);
      expect(q.output()).toContain(`event service failed to start: cannot listen on 127.0.0.1:${taken} (listen EADDRINUSE`);
      expect(q.output()).not.toMatch(/^\s+at /m);
    } finally {
      notPostgres.close();
      busy.close();
    }
  });

  it('warns at start about a limit that limits nothing and a key short enough to guess', async () => {
    for (const [env, says] of [
      [{ RATE_LIMIT_PER_SECOND: '5' }, 'RATE_LIMIT_PER_SECOND limits requests per API key, and there are none: nothing is limited'],
      [{ API_KEYS: 'short-key:read' }, 'API key key1 is shorter than 16 characters'],
    ] as const) {
      const p = await startServiceProcess({ DATABASE_URL: url, REDIS_URL: testRedisUrl, REDIS_CHANNEL_PREFIX: channelPrefix, ...env }, await freePort());
      running.push(p);
      expect(p.output()).toContain(says);
      expect(p.output()).not.toContain('short-key');
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
    }
  });
});
