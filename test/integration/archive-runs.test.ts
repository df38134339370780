import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '../../src/events/uuid.ts';
import { archiveNow, putPolicy, tempArchive, waitPublished } from '../support/archive.ts';
import { get, newId, postJson } from '../support/http.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { waitUntil } from '../support/wait.ts';

// Partitions of 50 positions, so that a run can drop whole ones.
let t: TestService;
let archive: Awaited<ReturnType<typeof tempArchive>>;
beforeAll(async () => {
  archive = await tempArchive();
  t = await startTestService({ ARCHIVE_URL: archive.url, ARCHIVE_INTERVAL: '0', ARCHIVE_LEASE_MS: '3000', EVENTS_PARTITION_SIZE: '50', ARCHIVE_SEGMENT_EVENTS: '30' });
  await t.service.partitions.runOnce();
});
afterAll(async () => {
  await t.close();
  await archive.remove();
});

async function append(type: string, n: number) {
  const res = await postJson(t.app, '/events/batch', { events: Array.from({ length: n }, (_, i) => ({ event_type: `${type}.noted`, aggregate_id: newId(), payload: { i } })) });
  expect(res.status).toBe(201);
  await waitPublished(t, res.body.events[n - 1].position);
  return res.body.events as { id: string; position: number }[];
}

const hotCount = async (type: string) => Number((await t.sql`select count(*) as n from events where aggregate_type = ${type}`)[0]!.n);
const files = async () => (await readdir(join(archive.dir, 'segments'), { recursive: true }).catch(() => [])).filter((f) => /\.(parquet|json)$/.test(f)).sort();

describe('archive runs', () => {
  it('previews with a dry run, changing nothing', async () => {
    await append('crate', 70);
    await putPolicy(t.app, 'crate', { archive_after: 'PT0S' });
    await putPolicy(t.app, 'bin', { delete_after: 'PT0S' });
    await append('bin', 5);
    const run = await archiveNow(t.app, { dry_run: true });
    expect(run).toMatchObject({ status: 'succeeded', dry_run: true, archived: 0, deleted: 0, segments: 0, planned: 75 });
    expect(run.plan).toEqual(expect.arrayContaining([
      { aggregate_type: 'crate', archive_after: 'PT0S', delete_after: null, archive: { events: 70, segments: expect.any(Number) }, delete: { hot_events: 0, archived_events: 0, segments: 0 } },
      { aggregate_type: 'bin', archive_after: null, delete_after: 'PT0S', archive: { events: 0, segments: 0 }, delete: { hot_events: 5, archived_events: 0, segments: 0 } },
    ]));
    expect(run.plan.find((p: { aggregate_type: string }) => p.aggregate_type === 'crate').archive.segments).toBeGreaterThanOrEqual(3);
    expect(await hotCount('crate')).toBe(70);
    expect(await hotCount('bin')).toBe(5);
    expect(await files()).toEqual([]);
    expect((await get(t.app, '/archive/segments')).body).toEqual({ segments: [], next_after: null });
  });

  it('archives on demand: segments per type and partition, described beside them, listed in the manifest, readable by DuckDB', async () => {
    const run = await archiveNow(t.app);
    expect(run).toMatchObject({ status: 'succeeded', dry_run: false, trigger: 'request', archived: 70, deleted: 5, planned: 75, error: null });
    expect(await hotCount('crate')).toBe(0);
    const { segments } = (await get(t.app, '/archive/segments?aggregate_type=crate&limit=1000')).body;
    expect(segments.length).toBe(run.segments);
    expect(segments.reduce((n: number, s: { events: number }) => n + s.events, 0)).toBe(70);
    expect(segments.every((s: { events: number }) => s.events <= 30)).toBe(true);
    for (const s of segments) {
      expect(Math.floor((s.from_position - 1) / 50)).toBe(Math.floor((s.to_position - 1) / 50));
      const described = JSON.parse(await readFile(join(archive.dir, s.key.replace(/\.parquet$/, '.json')), 'utf8'));
      expect(described).toMatchObject({ key: s.key, aggregate_type: 'crate', from_position: s.from_position, to_position: s.to_position, events: s.events, bytes: s.bytes, sha256: s.sha256, run_id: run.id });
    }
    const page = (await get(t.app, '/archive/segments?limit=1')).body;
    expect(page.segments).toHaveLength(1);
    expect((await get(t.app, `/archive/segments?after=${page.next_after}&limit=1000`)).body.segments.length).toBe(segments.length - 1);

    const duck = await (await DuckDBInstance.create()).connect();
    const reader = await duck.runAndReadAll(`select count(*)::int as n, count(distinct position)::int as d, min(aggregate_type) as t from read_parquet('${archive.dir}/segments/*/*.parquet')`);
    expect(reader.getRowObjects()).toEqual([{ n: 70, d: 70, t: 'crate' }]);
    // The README's examples: a time filter on created_at, JSON in metadata, the descriptions.
    const recent = await duck.runAndReadAll(`select count(*)::int as n from read_parquet('${archive.dir}/segments/crate/*.parquet')
      where event_type = 'crate.noted' and created_at >= TIMESTAMPTZ '2026-01-01' and json_extract_string(payload, '$.i') is not null`);
    expect(recent.getRowObjects()).toEqual([{ n: 70 }]);
    const described = await duck.runAndReadAll(`select sum(events)::int as n from read_json_auto('${archive.dir}/segments/*/*.json')`);
    expect(described.getRowObjects()).toEqual([{ n: 70 }]);
    duck.closeSync();
  });

  it('drops a partition whose every row was archived or deleted, instead of deleting its rows', async () => {
    const removals = await t.sql<{ reason: string; events: string }[]>`select reason, sum(events)::text as events from event_removals group by reason order by reason`;
    expect(removals).toEqual([{ reason: 'archived', events: '70' }, { reason: 'deleted', events: '5' }]);
    const dropped = await t.sql`select 1 from pg_class where relname = 'events_1'`;
    expect(dropped).toHaveLength(0);
  });

  it('refuses a second real run while one holds the lease, and takes over a run whose instance stopped', async () => {
    const other = uuidv7();
    await t.sql`insert into archive_runs (id, status, dry_run, trigger, owner) values (${other}, 'running', false, 'request', 'another-instance')`;
    const refused = await postJson(t.app, '/archive/runs', {});
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ type: '/problems/archive-run-in-progress', run_id: other });
    expect((await postJson(t.app, '/archive/runs', { dry_run: true })).status).toBe(202);
    await t.sql`update archive_runs set updated_at = now() - interval '1 minute' where id = ${other}`;
    expect((await get(t.app, `/archive/runs/${other}`)).body).toMatchObject({ status: 'failed', error: 'its instance stopped during the run' });
    expect((await archiveNow(t.app)).status).toBe('succeeded');
    expect((await t.sql`select status from archive_runs where id = ${other}`)[0]!.status).toBe('failed');
  });

  it('removes orphan segment files of runs that did not commit them, and keeps those of a running one', async () => {
    const dead = uuidv7(), live = uuidv7();
    await t.sql`insert into archive_runs (id, status, dry_run, trigger, owner, finished_at) values (${dead}, 'failed', false, 'request', 'gone', now())`;
    const { createFileStorage } = await import('../../src/lifecycle/file-storage.ts');
    const storage = createFileStorage(archive.dir);
    await storage.put(`segments/crate/0000000000000900-0000000000000910-${dead}.parquet`, new Uint8Array([1]));
    await storage.put(`segments/crate/0000000000000900-0000000000000910-${dead}.json`, new Uint8Array([1]));
    await storage.put(`segments/crate/0000000000000920-0000000000000930-${live}.parquet`, new Uint8Array([1]));
    await t.sql`insert into archive_runs (id, status, dry_run, trigger, owner, updated_at) values (${live}, 'running', true, 'request', 'elsewhere', now() + interval '1 hour')`;
    const before = await files();
    expect((await archiveNow(t.app)).status).toBe('succeeded');
    const after = await files();
    expect(before.filter((f) => !after.includes(f))).toEqual([`crate/0000000000000900-0000000000000910-${dead}.json`, `crate/0000000000000900-0000000000000910-${dead}.parquet`]);
    expect(after).toContain(`crate/0000000000000920-0000000000000930-${live}.parquet`);
  });

  it('runs with a policy of thousands of years, beyond what PostgreSQL subtracts from now(), archiving nothing of its type', async () => {
    await append('ark', 3);
    await append('skip', 2);
    await putPolicy(t.app, 'ark', { archive_after: 'P9999Y', delete_after: 'P10000Y' });
    await putPolicy(t.app, 'skip', { archive_after: 'PT0S' });
    const run = await archiveNow(t.app);
    expect(run).toMatchObject({ status: 'succeeded', error: null, archived: 2 });
    expect(await hotCount('ark')).toBe(3);
    expect(await hotCount('skip')).toBe(0);
  });

  it('refuses bad requests to the run and manifest routes with problem+json', async () => {
    for (const [body, status] of [[{ dry_run: 'yes' }, 422], [{ dryRun: true }, 422], ['[1]', 422], ['{', 400]] as const) {
      const res = await postJson(t.app, '/archive/runs', body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    }
    expect((await t.app.request('/archive/runs', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'go' })).status).toBe(415);
    expect((await get(t.app, '/archive/runs/not-a-run')).status).toBe(400);
    expect((await get(t.app, `/archive/runs/${newId()}`)).status).toBe(404);
    for (const q of ['limit=0', 'limit=1001', 'after=-1', 'aggregate_type=A', 'type=crate', 'limit=1&limit=2']) {
      expect((await get(t.app, `/archive/segments?${q}`)).status, q).toBe(400);
    }
    expect((await t.app.request('/archive/segments', { method: 'DELETE' })).status).toBe(405);
    expect((await get(t.app, '/archive/runs')).body.runs.length).toBeGreaterThan(2);
  });

  it('answers 503 to a request for a run only when no run started: its connections cut off by the server, as after a restart', async () => {
    const runsNow = async () => Number((await t.sql`select count(*) as n from archive_runs`)[0]!.n);
    for (let round = 0; round < 3; round++) {
      await t.sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and application_name = 'event-service'`;
      expect(await waitUntil(async () => (await t.app.request('/ready')).status === 200, 10_000)).toBe(true);
      const before = await runsNow();
      const res = await postJson(t.app, '/archive/runs', { dry_run: true });
      expect([202, 503], res.text).toContain(res.status);
      expect(await runsNow(), `answered ${res.status}`).toBe(before + (res.status === 202 ? 1 : 0));
      if (res.status === 202) expect(await waitUntil(async () => (await get(t.app, res.headers.get('location')!)).body.status === 'succeeded', 10_000)).toBe(true);
    }
  });
});
