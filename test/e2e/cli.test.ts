import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BIN, cli, cliDir, ROOT, runCli, runCliUntilFirstOutput, serviceProcesses } from '../support/cli.ts';
import { freePort } from '../../src/postgres/free-port.ts';
import { adminDatabaseUrl, databaseUrl } from '../support/env.ts';
import { newId } from '../support/http.ts';
import type { ServiceProcess } from '../support/process.ts';
import { createTestDatabase } from '../support/service.ts';

const dir = cliDir();
const services = serviceProcesses();
const start = services.start;
let a: ServiceProcess;
let b: ServiceProcess;
let sqlB: postgres.Sql;

beforeAll(async () => {
  a = await start(await createTestDatabase());
  const urlB = await createTestDatabase();
  b = await start(urlB);
  sqlB = postgres(urlB, { max: 1, onnotice: () => {} });
  for (let i = 0; i < 3; i++) {
    const events = Array.from({ length: i < 2 ? 1000 : 500 }, (_, j) => ({ event_type: j % 4 ? 'task.progressed' : 'agent.noted', aggregate_id: newId(), payload: { i, j, s: 'ü😀' }, metadata: { correlation_id: `c${j % 7}` } }));
    const res = await fetch(`${a.url}/events/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events }) });
    expect(res.status).toBe(201);
  }
});
afterAll(async () => {
  services.stopAll();
  await sqlB.end();
});

describe('events-service CLI', () => {
  it('export writes every event as NDJSON in position order, and nothing on stderr when it is not a terminal', () => {
    const file = join(dir, 'all.ndjson');
    const r = cli(['export', '--url', a.url], { stdout: file });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2500);
    expect(lines.map((e) => e.position)).toEqual(lines.map((e) => e.position).sort((x, y) => x - y));
  });

  it('export applies filters', () => {
    const file = join(dir, 'agent.ndjson');
    expect(cli(['export', '--url', a.url, '--aggregate_type', 'agent'], { stdout: file }).status).toBe(0);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(625);
    expect(lines.every((e) => e.aggregate_type === 'agent')).toBe(true);
  });

  it('an export imports --in-order into a fresh database with the same events in the same order, and importing again adds nothing', async () => {
    const file = join(dir, 'all.ndjson');
    const r = cli(['import', '--in-order', '--url', b.url], { stdin: file });
    expect(r.status, r.stderr).toBe(0);
    const exported = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const count = async () => (await sqlB`select count(*)::int as n from events`)[0]!.n;
    expect(await count()).toBe(2500);
    const rows = await sqlB`select id::text, payload, metadata from events order by position`;
    expect(rows.map((r) => r.id)).toEqual(exported.map((e) => e.id));
    expect(rows.map((r) => r.payload)).toEqual(exported.map((e) => e.payload));
    expect(cli(['import', '--url', b.url], { stdin: file }).status).toBe(0);
    expect(await count()).toBe(2500);
  });

  it('tail prints new events of one aggregate type as they are appended', async () => {
    // From the current head, so events appended before the CLI has connected still count.
    const newest = (await (await fetch(`${a.url}/events?order=desc&limit=1`)).json()) as { events: { position: number }[] };
    const head = String(newest.events[0]?.position ?? 0);
    const child = spawn(process.execPath, [...BIN, 'tail', 'agent', '--after', head, '--url', a.url], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const post = (event_type: string) => fetch(`${a.url}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ event_type, aggregate_id: newId() }) }).then((r) => r.json() as Promise<{ id: string }>);
    const task = await post('task.created');
    const agent = await post('agent.created');
    for (let i = 0; i < 150 && !out.includes(agent.id); i++) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    const lines = out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((e) => e.id)).toEqual([agent.id]);
    expect(out).not.toContain(task.id);
  });

  it('export and tail end quietly with exit 0 when their reader closes stdout, as with | head -1', async () => {
    for (const args of [['export'], ['tail', '--after', '0']]) {
      const r = await runCliUntilFirstOutput([...args, '--url', a.url]);
      expect(r.first, args.join(' ')).toMatch(/^\{"id":/);
      expect({ code: r.code, stderr: r.stderr }, args.join(' ')).toEqual({ code: 0, stderr: '' });
    }
  });

  it("prints what the service refused as the problem's title, detail and fields, not as its JSON", () => {
    for (const [args, field] of [[['tail', 'BAD'], '/aggregate_type: '], [['export', '--from', 'yesterday'], '/from: ']] as const) {
      const r = cli([...args, '--url', a.url]);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr).toContain('answered 400 (Malformed request): ');
      expect(r.stderr).toContain(`\n  ${field}must be`);
      expect(r.stderr).not.toContain('{"type"');
    }
  });

  it('migrate applies the migrations to an empty database', async () => {
    const name = `evt_${inject('runId')}_${randomBytes(4).toString('hex')}`;
    const admin = postgres(adminDatabaseUrl(), { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database "${name}"`);
    await admin.end();
    const r = spawnSync(process.execPath, [...BIN, 'migrate'], { cwd: ROOT, env: { ...process.env, DATABASE_URL: databaseUrl(name) }, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const sql = postgres(databaseUrl(name), { max: 1, onnotice: () => {} });
    expect((await sql`select count(*)::int as n from events_head`)[0]!.n).toBe(1);
    await sql.end();
  });

  it('serve refuses to start open in production', () => {
    const r = spawnSync(process.execPath, [...BIN, 'serve'], { cwd: ROOT, env: { ...process.env, NODE_ENV: 'production', API_KEYS: '', DATABASE_URL: 'postgres://127.0.0.1:1/x' }, encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('refusing to start an open service');
  });

  it('prints usage and exits 2 for an unknown command', () => {
    const r = cli(['frobnicate']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('usage: events-service');
  });
});

describe('command-line arguments', () => {
  it('refuses an unknown flag, naming it, instead of ignoring it', () => {
    const r = cli(['export', '--aggregate-type', 'agent']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("Unknown option '--aggregate-type'");
    expect(r.stdout).toBe('');
  });

  it('refuses a flag without its value', () => {
    const r = cli(['export', '--aggregate_type']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("'--aggregate_type <value>' argument missing");
  });

  it('prints help for each command and exits 0, also as help <command>', () => {
    for (const command of ['serve', 'migrate', 'tail', 'export', 'import']) {
      for (const args of [[command, '--help'], ['help', command]]) {
        const r = cli(args);
        expect(r.status, args.join(' ')).toBe(0);
        expect(r.stdout).toContain(`usage: events-service ${command}`);
      }
    }
    expect(cli(['help', 'frobnicate']).status).toBe(2);
  });

  it('refuses at once with exit 2 what it can check itself: a URL that is not http(s), a position that is not a whole number', async () => {
    const refusals: [string[], string][] = [
      [['export', '--url', 'notaurl'], '--url must be an http:// or https:// URL, got "notaurl"'],
      [['archive', '--url', 'localhost:8011'], '--url must be an http:// or https:// URL'],
      [['export', '--after', 'abc'], '--after must be a position (a whole number), got "abc"'],
      [['tail', 'agent', '--after', '1.5'], '--after must be a position (a whole number), got "1.5"'],
    ];
    for (const [args, message] of refusals) {
      const r = cli(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stderr).not.toContain('retry');
    }
    const fromEnv = await runCli(['export'], { EVENTS_URL: 'notaurl' });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toContain('EVENTS_URL must be an http:// or https:// URL');
  });

  it('gives up on a service that takes the connection but never answers, after --timeout per attempt', async () => {
    const open = new Set<Socket>();
    const silent = createServer((socket) => open.add(socket)); // accepts, reads, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      for (const command of [['export'], ['tail', 'agent']]) {
        const r = cli([...command, '--url', url, '--retries', '1', '--timeout', '1']);
        expect(r.status, command.join(' ')).toBe(1);
        expect(r.stderr).toContain(`cannot reach ${url}`);
        expect(r.stderr).toContain('no answer within 1 s');
      }
      expect(cli(['export', '--url', url, '--timeout', 'soon']).stderr).toContain('--timeout must be a whole number of seconds');
    } finally {
      for (const socket of open) socket.destroy();
      silent.close();
    }
  });

  it('names the URL and the cause when the service cannot be reached, and gives up after --retries, spent once per command', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    for (const command of [['export'], ['tail', 'agent'], ['archive'], ['parked', 'replay', 'task', 'billing']]) {
      const r = cli([...command, '--url', url, '--retries', '1']);
      expect(r.status, command.join(' ')).toBe(1);
      expect(r.stderr).toContain(`cannot reach ${url}`);
      expect(r.stderr).toContain('ECONNREFUSED');
      expect(r.stderr.match(/(?:retry |reconnecting \()1 of 1/g), command.join(' ')).toHaveLength(1);
    }
  });

  it('sends a POST that starts something again only when it surely did nothing: after a 429, not after a 503', async () => {
    let posts = 0;
    let status = 429;
    const server = createHttpServer((req, res) => {
      posts++;
      req.resume();
      res.writeHead(status, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ type: '/problems/x', title: 'Refused', status, detail: 'refused' }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      for (const [answer, attempts] of [[429, 3], [503, 1]]) {
        for (const command of [['archive'], ['parked', 'replay', 'task', 'billing'], ['parked', 'discard', 'task', 'billing', '--limit', '5']]) {
          [posts, status] = [0, answer!];
          const r = await runCli([...command, '--url', url, '--retries', '2']);
          expect(r.code, r.stderr).toBe(1);
          expect(posts, `${command.join(' ')} answered ${answer}`).toBe(attempts);
        }
      }
    } finally {
      server.close();
    }
  });
});
