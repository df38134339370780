import { spawn } from 'node:child_process';
import { openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cli, cliDir, ROOT, serviceProcesses } from '../support/cli.ts';
import { newId } from '../support/http.ts';
import type { ServiceProcess } from '../support/process.ts';
import { createTestDatabase } from '../support/service.ts';

// events-service import against services of its own (the export round trip is in cli.test.ts).
const dir = cliDir();
const services = serviceProcesses();
const start = services.start;
afterAll(() => services.stopAll());

describe('events-service import', () => {
  it("imports several batches at once, each aggregate's events in the order of the input", async () => {
    // 3,000 events of 30 aggregates, each aggregate's events spread over every batch.
    const aggregates = Array.from({ length: 30 }, () => newId());
    const file = join(dir, 'spread.ndjson');
    const lines = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ id: newId(), event_type: 'plan.stepped', aggregate_id: aggregates[i % 30], payload: { i } }));
    writeFileSync(file, lines.join('\n') + '\n');
    const url = await createTestDatabase();
    const target = await start(url);
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const r = cli(['import', '--url', target.url], { stdin: file });
      expect(r.status, r.stderr).toBe(0);
      const rows = await sql<{ aggregate_id: string; sequence: string; i: number }[]>`
        select aggregate_id::text, sequence, (payload->>'i')::int as i from events order by aggregate_id, sequence`;
      expect(rows).toHaveLength(3000);
      for (const id of aggregates) {
        const mine = rows.filter((row) => row.aggregate_id === id).map((row) => row.i);
        expect(mine).toEqual([...mine].sort((x, y) => x - y));
      }
    } finally {
      await sql.end();
    }
  });

  it('keeps each request within the body limit: 1 MiB, then the one a 413 names; an event over it stops the import, naming it', async () => {
    const aggregateId = newId();
    // Events of about 1.6 KB: a batch of 1,000 would be 1.6 MB.
    const big = Array.from({ length: 1500 }, (_, i) => JSON.stringify({ id: newId(), event_type: 'plan.stepped', aggregate_id: aggregateId, payload: { i, note: 'n'.repeat(1500) } }));
    const file = join(dir, 'big.ndjson');
    writeFileSync(file, big.join('\n') + '\n');
    const count = async (sql: postgres.Sql) => (await sql`select count(*)::int as n from events`)[0]!.n;
    for (const env of [{}, { MAX_BODY_BYTES: '20000' }] as Record<string, string>[]) {
      const url = await createTestDatabase();
      const target = await start(url, env);
      const sql = postgres(url, { max: 1, onnotice: () => {} });
      try {
        const r = cli(['import', '--url', target.url], { stdin: file });
        expect(r.status, r.stderr).toBe(0);
        expect(await count(sql)).toBe(1500);
        const order = await sql<{ i: number }[]>`select (payload->>'i')::int as i from events order by sequence`;
        expect(order.map((row) => row.i)).toEqual(big.map((_, i) => i));
      } finally {
        await sql.end();
      }
    }
    const url = await createTestDatabase();
    const target = await start(url, { MAX_BODY_BYTES: '20000' });
    const tooBig = { id: newId(), event_type: 'plan.stepped', aggregate_id: aggregateId, payload: { note: 'n'.repeat(30_000) } };
    writeFileSync(file, [big[0], JSON.stringify(tooBig), big[1]].join('\n') + '\n');
    const r = cli(['import', '--url', target.url], { stdin: file });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`event ${tooBig.id} takes`);
    expect(r.stderr).toContain('(20000 bytes, its MAX_BODY_BYTES)');
  });

  it('resends a batch whose outcome is unknown with the same ids: events that came without an id are stored once', async () => {
    const aggregateId = newId();
    const file = join(dir, 'no-ids.ndjson');
    writeFileSync(file, Array.from({ length: 10 }, (_, i) => JSON.stringify({ event_type: 'plan.stepped', aggregate_id: aggregateId, payload: { i } })).join('\n') + '\n');
    const url = await createTestDatabase();
    const target = await start(url, { REQUEST_TIMEOUT_MS: '300' });
    const sql = postgres(url, { max: 2, onnotice: () => {} });
    try {
      // Every append waits for the head while this transaction holds it: the service answers 503
      // (timeout, outcome unknown) and goes on waiting; the import resends.
      let release!: () => void;
      const held = sql.begin(async (tx) => {
        await tx`select 1 from events_head for update`;
        await new Promise<void>((r) => (release = r));
      });
      while (!release) await new Promise((r) => setTimeout(r, 10));
      const child = spawn(process.execPath, [...BIN, 'import', '--url', target.url, '--retries', '30'], { cwd: ROOT, stdio: [openSync(file, 'r'), 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((r) => child.once('exit', r));
      for (let i = 0; i < 100 && !stderr.includes('retry 2 of'); i++) await new Promise((r) => setTimeout(r, 50));
      release();
      await held;
      expect(await exited, stderr).toBe(0);
      expect(stderr).toContain('answered 503');
      const rows = await sql<{ sequence: string; i: number }[]>`select sequence, (payload->>'i')::int as i from events where aggregate_id = ${aggregateId} order by sequence`;
      expect(rows.map((r) => r.i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    } finally {
      await sql.end();
    }
  });

  it("learns a lower MAX_BATCH_EVENTS from the service's refusal, or takes --batch", async () => {
    const aggregateId = newId();
    const file = join(dir, 'batch.ndjson');
    writeFileSync(file, Array.from({ length: 250 }, (_, i) => JSON.stringify({ id: newId(), event_type: 'plan.stepped', aggregate_id: aggregateId, payload: { i } })).join('\n') + '\n');
    expect(cli(['import', '--batch', '0'], { stdin: file }).status).toBe(2);
    for (const flags of [[], ['--batch', '100']]) {
      const url = await createTestDatabase();
      const target = await start(url, { MAX_BATCH_EVENTS: '100' });
      const sql = postgres(url, { max: 1, onnotice: () => {} });
      try {
        const r = cli(['import', '--url', target.url, ...flags], { stdin: file });
        expect(r.status, r.stderr).toBe(0);
        const order = await sql<{ i: number }[]>`select (payload->>'i')::int as i from events order by sequence`;
        expect(order.map((row) => row.i)).toEqual(Array.from({ length: 250 }, (_, i) => i));
      } finally {
        await sql.end();
      }
    }
  });
});

describe('what events-service import refuses, by input line', () => {
  let target: ServiceProcess;
  let sql: postgres.Sql;
  beforeAll(async () => {
    const url = await createTestDatabase();
    target = await start(url);
    sql = postgres(url, { max: 1, onnotice: () => {} });
  });
  afterAll(() => sql.end());

  const importLines = (lines: string[], flags: string[] = []) => {
    const file = join(dir, `${newId()}.ndjson`);
    writeFileSync(file, lines.join('\n') + '\n');
    return cli(['import', '--url', target.url, ...flags], { stdin: file });
  };
  const stored = async (aggregateId: string) => (await sql`select count(*)::int as n from events where aggregate_id = ${aggregateId}`)[0]!.n;

  it('refuses JSON that would reach the service changed (big numbers, duplicate keys), unknown fields and lines that are no event, instead of changing or dropping them', async () => {
    const id = newId();
    const ok = JSON.stringify({ id: newId(), event_type: 'plan.stepped', aggregate_id: id });
    const cases: [string, string[]][] = [
      [`{"event_type":"big.made","aggregate_id":"${id}","payload":{"big":9007199254740993,"huge":1e400,"tiny":1e-400,"dec":0.12345678901234567890123}}`, ['/payload/big: ', '/payload/huge: ', '/payload/tiny: ', '/payload/dec: ']],
      [`{"event_type":"big.made","aggregate_id":"${id}","payload":{"a":1,"a":2}}`, ['/payload/a: duplicate key "a"']],
      [JSON.stringify({ event_type: 'big.made', aggregate_id: id, payload: {}, paylod: { typo: 1 } }), ['unknown field "paylod"']],
      ['null', ['is not an event: it must be a JSON object']],
    ];
    for (const [line, expected] of cases) {
      const r = importLines([ok, line]);
      expect(r.status, line).toBe(1);
      expect(r.stderr).toMatch(/^events-service import: line 2[ :]/);
      for (const text of expected) expect(r.stderr).toContain(text);
    }
    expect(await stored(id)).toBe(0); // line 1 waited in the batch that line 2 would have joined
  });

  it('names the input line of an event the service refuses, and how many events were stored before it stopped', async () => {
    const id = newId();
    const lines = [0, 1, 2, 3].map((i) => JSON.stringify({ id: newId(), event_type: 'plan.stepped', aggregate_id: id, payload: { i } }));
    lines.push(JSON.stringify({ id: newId(), event_type: 'Plan.stepped', aggregate_id: id }));
    const r = importLines(lines, ['--batch', '2', '--in-order']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('line 5: POST');
    expect(r.stderr).toContain('\n  line 5 /event_type: must be');
    expect(r.stderr).toContain('the import stopped there, with 4 events stored');
    expect(r.stderr).not.toContain('/events/0');
    expect(await stored(id)).toBe(4);
  });

  it('passes expected_sequence on: the target checks it, and running the import again adds nothing', async () => {
    const id = newId();
    const first = JSON.stringify({ id: newId(), event_type: 'plan.stepped', aggregate_id: id, expected_sequence: 0 });
    const stale = JSON.stringify({ id: newId(), event_type: 'plan.stepped', aggregate_id: id, expected_sequence: 0 });
    expect(importLines([first]).status).toBe(0);
    expect(importLines([first]).status).toBe(0);
    const r = importLines([first, stale]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('line 2: POST');
    expect(r.stderr).toContain('answered 409 (Sequence conflict)');
    expect(await stored(id)).toBe(1);
  });
});
