import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRedisUrl } from '../support/env.ts';
import { newId } from '../support/http.ts';
import { freePort } from '../../src/postgres/free-port.ts';
import { startServiceProcess, type ServiceProcess } from '../support/process.ts';
import { createTestDatabase, newChannelPrefix, subscribeAll } from '../support/service.ts';
import { waitUntil } from '../support/wait.ts';

// An empty database (not the migrated template): the service must migrate it itself.
let url: string;
let sql: postgres.Sql;
const channelPrefix = newChannelPrefix();
const running: ServiceProcess[] = [];

beforeAll(async () => {
  url = await createTestDatabase({ empty: true });
  sql = postgres(url, { max: 2, onnotice: () => {} });
});
afterAll(async () => {
  for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await sql.end();
});

const start = async (env: Record<string, string> = {}) => {
  const p = await startServiceProcess({ DATABASE_URL: url, REDIS_URL: testRedisUrl, REDIS_CHANNEL_PREFIX: channelPrefix, ...env }, await freePort());
  running.push(p);
  return p;
};

const post = (base: string, path: string, body: unknown) =>
  fetch(base + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

describe('the service as a process', () => {
  it('migrates an empty database at start, serves the seed curl examples over HTTP and publishes them', async () => {
    const p = await start();
    const sub = await subscribeAll(channelPrefix);
    const agent = '550e8400-e29b-41d4-a716-446655440000';
    const created = await post(p.url, '/events/', {
      event_type: 'agent.created', aggregate_type: 'agent', aggregate_id: agent,
      payload: { name: 'explore-agent', agent_type: 'exploration' },
      metadata: { session_id: 'session-123', correlation_id: 'corr-456' }, version: 1,
    });
    expect(created.status).toBe(201);
    const event = (await created.json()) as any;
    expect((await post(p.url, '/events/', {
      event_type: 'task.completed', aggregate_type: 'task', aggregate_id: '660e8400-e29b-41d4-a716-446655440001',
      payload: { status: 'success', duration_ms: 1250, output_lines: 42 }, metadata: { agent_id: agent }, version: 1,
    })).status).toBe(201);
    expect((await post(p.url, '/events/', {
      event_type: 'plan.executed', aggregate_type: 'plan', aggregate_id: '770e8400-e29b-41d4-a716-446655440002',
      payload: { steps_completed: 5, steps_total: 5, success: true }, metadata: { executor: 'orchestrator-1' }, version: 1,
    })).status).toBe(201);

    for (const q of [`?aggregate_type=agent&aggregate_id=${agent}`, '?event_type=task.completed&limit=50', `?aggregate_id=${agent}`, '?aggregate_type=agent', '?event_type=agent.created', '?limit=10&offset=20']) {
      const res = await fetch(`${p.url}/events/${q}`);
      expect(res.status).toBe(200);
    }
    expect(((await (await fetch(`${p.url}/events/?aggregate_id=${agent}`)).json()) as any).events[0].id).toBe(event.id);
    expect((await fetch(`${p.url}/events/${event.id}`)).status).toBe(200);
    expect((await fetch(`${p.url}/events/880e8400-e29b-41d4-a716-446655440003`)).status).toBe(404);
    expect((await fetch(`${p.url}/health`)).status).toBe(200);

    await sub.waitFor(3);
    sub.close();
    expect(sub.messages.map((m) => m.channel)).toEqual([`${channelPrefix}events:agent`, `${channelPrefix}events:task`, `${channelPrefix}events:plan`]);
  });

  it('refuses a body over 1 MiB with 413 over the network', async () => {
    const p = running[0]!;
    const res = await post(p.url, '/events', { event_type: 'agent.created', aggregate_id: newId(), payload: { pad: 'x'.repeat(1024 * 1024) } });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
  });

  it('on SIGTERM finishes the appends in flight, loses none it acknowledged, publishes them, and exits 0', async () => {
    const p = running[0]!;
    const sub = await subscribeAll(channelPrefix);
    const aggregateId = newId();
    const inflight = Array.from({ length: 100 }, (_, i) =>
      post(p.url, '/events', { event_type: 'task.progressed', aggregate_id: aggregateId, payload: { i } })
        .then(async (r) => ({ status: r.status, body: (r.status === 201 ? await r.json() : null) as any }))
        .catch(() => ({ status: 0, body: null })),
    );
    await new Promise((r) => setTimeout(r, 30));
    p.child.kill('SIGTERM');
    const results = await Promise.all(inflight);
    expect(await p.exited).toBe(0);
    expect(p.output()).toContain('"msg":"stopped"');

    const acked = results.filter((r) => r.status === 201).map((r) => r.body.id);
    expect(acked.length).toBeGreaterThan(0);
    expect(results.every((r) => r.status === 201 || r.status === 0)).toBe(true);
    const stored = await sql`select id from events where aggregate_id = ${aggregateId}`;
    expect(new Set(stored.map((r) => r.id))).toEqual(new Set(acked));
    // The relay drained before exit: every acknowledged event was already published.
    const published = await sub.waitForIds(acked, 500);
    sub.close();
    expect(new Set(published.map((m) => m.event.id)).size).toBe(acked.length);
  });

  it('starts again on the same database, with nothing left to migrate, and keeps what was stored', async () => {
    const before = Number((await sql`select count(*) from events`)[0]!.count);
    const p = await start();
    const res = await fetch(`${p.url}/events?limit=1000`);
    expect(((await res.json()) as any).events).toHaveLength(before);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  });

  it('connects over a Unix socket given the way libpq takes it (a user, no host, ?host=<directory>)', async (ctx) => {
    const [{ dirs }] = (await sql<{ dirs: string }[]>`select current_setting('unix_socket_directories') as dirs`) as unknown as [{ dirs: string }];
    const dir = dirs.split(',')[0]!.trim();
    const { username, port, pathname } = new URL(url);
    if (!dir || !existsSync(`${dir}/.s.PGSQL.${port || 5432}`)) ctx.skip(); // a server without a socket here
    const socketUrl = `postgresql://${username || 'postgres'}@${pathname}?host=${dir}&port=${port || 5432}`;
    const p = await start({ DATABASE_URL: socketUrl });
    expect(p.output()).toContain(`${dir}/.s.PGSQL.${port || 5432}${pathname}`); // where it says it migrates
    const sub = await subscribeAll(channelPrefix);
    const res = await post(p.url, '/events', { event_type: 'task.created', aggregate_id: newId() });
    expect(res.status).toBe(201);
    const id = ((await res.json()) as any).id;
    expect((await fetch(`${p.url}/events/${id}`)).status).toBe(200);
    expect((await sub.waitForIds([id], 10_000)).map((m) => m.event.id)).toEqual([id]);
    sub.close();
    // Every connection of this process is on the socket: no client address.
    const sessions = await sql<{ application_name: string; client_addr: string | null }[]>`
      select application_name, client_addr from pg_stat_activity where datname = current_database() and application_name like 'event-service%'`;
    const names = new Set(sessions.map((s) => s.application_name));
    for (const name of ['event-service-append', 'event-service-read', 'event-service-relay', 'event-service-notify']) expect(names).toContain(name);
    expect(sessions.filter((s) => s.client_addr !== null)).toEqual([]);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  });

  it('when the instance that publishes is killed with SIGKILL, another takes over publishing', async () => {
    const [p1, p2] = await Promise.all([start({ RELAY_LEASE_MS: '1000' }), start({ RELAY_LEASE_MS: '1000' })]);
    const relayOf = async (p: ServiceProcess) => ((await (await fetch(`${p.url}/health`)).json()) as any).relay;
    let owner: ServiceProcess | undefined;
    for (let i = 0; i < 100 && !owner; i++) {
      const [r1, r2] = [await relayOf(p1), await relayOf(p2)];
      owner = r1 === 'running' && r2 === 'standby' ? p1 : r2 === 'running' && r1 === 'standby' ? p2 : undefined;
      if (!owner) await new Promise((r) => setTimeout(r, 50));
    }
    expect(owner).toBeDefined();
    const survivor = owner === p1 ? p2 : p1;
    const sub = await subscribeAll(channelPrefix);
    owner!.child.kill('SIGKILL');
    await owner!.exited;
    const killedAt = Date.now();
    const res = await post(survivor.url, '/events', { event_type: 'task.created', aggregate_id: newId() });
    const id = ((await res.json()) as any).id;
    const got = await sub.waitForIds([id], 10_000);
    sub.close();
    expect(got.map((m) => m.event.id)).toEqual([id]);
    expect(Date.now() - killedAt).toBeLessThan(5000);
    survivor.child.kill('SIGTERM');
    expect(await survivor.exited).toBe(0);
  });

  it('stops when a supervisor sends SIGTERM to `npm start`: the script execs the service (under a shell in between, it ran on)', async () => {
    const port = await freePort();
    const npm = spawn('npm', ['start'], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      env: { ...process.env, DATABASE_URL: url, REDIS_URL: testRedisUrl, REDIS_CHANNEL_PREFIX: channelPrefix, PORT: String(port), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    npm.stdout.on('data', (d) => (out += d));
    npm.stderr.on('data', (d) => (out += d));
    const answers = () => fetch(`http://127.0.0.1:${port}/health`).then(() => true, () => false);
    try {
      expect(await waitUntil(() => out.includes('event service listening'), 20_000), out).toBe(true);
      npm.kill('SIGTERM');
      expect(await waitUntil(async () => !(await answers()), 15_000), 'the service still answers').toBe(true);
    } finally {
      npm.kill('SIGKILL');
    }
  });
});
