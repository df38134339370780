import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import S3rver from 's3rver';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../src/postgres/free-port.ts';
import { archiveNow, putPolicy, waitPublished } from '../support/archive.ts';
import { closeAfterEach } from '../support/cleanup.ts';
import { get, newId, postJson } from '../support/http.ts';
import { metricValue, startTestService, type TestService } from '../support/service.ts';
import { startS3Server } from '../support/s3-server.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';
import { waitUntil } from '../support/wait.ts';

const cleanup = closeAfterEach();

async function seed(t: TestService, type: string, n: number, size = 16) {
  const events = Array.from({ length: n }, () => ({ event_type: `${type}.noted`, aggregate_id: newId(), payload: { blob: randomBytes(size).toString('hex') } }));
  const res = await postJson(t.app, '/events/batch', { events });
  expect(res.status).toBe(201);
  await waitPublished(t, res.body.events[n - 1].position);
  await putPolicy(t.app, type, { archive_after: 'PT0S' });
  return res.body.events as { id: string }[];
}

/** A failed run left PostgreSQL as it was, and /health and /metrics say why. */
async function expectFailedCleanly(t: TestService, type: string, n: number, reason: RegExp) {
  const run = await archiveNow(t.app);
  expect(run).toMatchObject({ status: 'failed', archived: 0, segments: 0 });
  expect(run.error).toMatch(reason);
  expect(Number((await t.sql`select count(*) as n from events where aggregate_type = ${type}`)[0]!.n)).toBe(n);
  expect(await t.sql`select 1 from archive_segments where aggregate_type = ${type}`).toHaveLength(0);
  const health = await get(t.app, '/health');
  expect(health.status).toBe(200);
  expect(health.body.archive).toMatchObject({ storage: 'failing', last_run: { id: run.id, status: 'failed' } });
  expect(health.body.archive.storage_error).toMatch(reason);
  expect(await metricValue(t, 'archive_storage_up')).toBe(0);
  expect(await metricValue(t, 'archive_runs_total{outcome="failed"}')).toBeGreaterThanOrEqual(1);
  // A dry run after it (a preview in the console) neither replaces it in /health nor counts as a run.
  const succeeded = await metricValue(t, 'archive_runs_total{outcome="succeeded"}');
  const lastSucceeded = await metricValue(t, 'archive_last_run_timestamp_seconds{outcome="succeeded"}');
  expect(await archiveNow(t.app, { dry_run: true })).toMatchObject({ status: 'succeeded', dry_run: true });
  expect((await get(t.app, '/health')).body.archive.last_run).toMatchObject({ id: run.id, status: 'failed' });
  expect(await metricValue(t, 'archive_runs_total{outcome="succeeded"}')).toEqual(succeeded);
  expect(await metricValue(t, 'archive_last_run_timestamp_seconds{outcome="succeeded"}')).toEqual(lastSucceeded);
}

describe('when the archive storage fails', () => {
  it('S3 unreachable: the run fails, nothing leaves PostgreSQL, reads of archived events answer 503; all recovers with the storage', async () => {
    const directory = await mkdtemp(join(tmpdir(), 's3rver-faults-'));
    cleanup.push(() => rm(directory, { recursive: true, force: true }));
    const port = await freePort();
    const s3 = () => new S3rver({ address: '127.0.0.1', port, directory, silent: true, configureBuckets: [{ name: 'archive' }] });
    let server = s3();
    await server.run();
    process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
    const t = await startTestService({ ARCHIVE_URL: 's3://archive/faults', ARCHIVE_S3_ENDPOINT: `http://127.0.0.1:${port}`, ARCHIVE_INTERVAL: '0' });
    cleanup.push(() => t.close());

    const first = await seed(t, 'parcel', 20);
    expect((await archiveNow(t.app)).status).toBe('succeeded');
    await server.close();
    const read = await get(t.app, `/events/${first[3]!.id}`);
    expect(read.status).toBe(503);
    expect(read.headers.get('content-type')).toMatch(/problem\+json/);
    expect(read.headers.get('retry-after')).toBe('1');
    expect(read.body.detail).toMatch(/archive storage/);

    await seed(t, 'crate', 15);
    await expectFailedCleanly(t, 'crate', 15, /cannot connect|unavailable|ECONNREFUSED/);
    expect((await get(t.app, `/events?aggregate_type=crate&limit=100`)).body.events).toHaveLength(15);

    server = s3();
    await server.run();
    cleanup.push(() => server.close());
    expect(await archiveNow(t.app)).toMatchObject({ status: 'succeeded', archived: 15 });
    expect((await get(t.app, '/health')).body.archive.storage).toBe('ok');
    expect(await metricValue(t, 'archive_storage_up')).toBe(1);
    // Reads try the storage again at most a second after one found it unavailable (ADR 40).
    expect(await waitUntil(async () => (await get(t.app, `/events/${first[3]!.id}`)).status === 200, 5_000)).toBe(true);
  });

  it('S3 credentials come from the env the service is given, not only from the process environment', async () => {
    const s3 = await startS3Server();
    cleanup.push(() => s3.stop());
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    const t = await startTestService({ ARCHIVE_URL: 's3://archive/env', ARCHIVE_S3_ENDPOINT: s3.endpoint, ARCHIVE_INTERVAL: '0', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' });
    cleanup.push(() => t.close());
    await seed(t, 'parcel', 3);
    expect(await archiveNow(t.app)).toMatchObject({ status: 'succeeded', archived: 3 });
  });

  it('S3 silent: reads of archived events answer 503 within ARCHIVE_READ_TIMEOUT_MS, then at once, never holding the pool from hot reads', async () => {
    const s3 = await startS3Server();
    cleanup.push(() => s3.stop());
    const proxy = await startTcpProxy({ port: Number(new URL(s3.endpoint).port) });
    cleanup.push(() => proxy.close());
    process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
    // Two read connections; a request gives up after 5 s (the S3 client alone would wait up to 3 x 15 s).
    const t = await startTestService({
      ARCHIVE_URL: 's3://archive/silent', ARCHIVE_S3_ENDPOINT: `http://127.0.0.1:${proxy.port}`, ARCHIVE_INTERVAL: '0',
      ARCHIVE_READ_TIMEOUT_MS: '500', DATABASE_POOL_MAX: '2', REQUEST_TIMEOUT_MS: '5000',
    });
    cleanup.push(() => t.close());
    // Not used yet: unknown, and not counted as down.
    expect([(await get(t.app, '/health')).body.archive.storage, await metricValue(t, 'archive_storage_up')]).toEqual(['unknown', 1]);
    const archived = await seed(t, 'parcel', 20);
    expect((await archiveNow(t.app)).status).toBe('succeeded');
    const [hot] = await seed(t, 'crate', 1);
    await putPolicy(t.app, 'crate', {});

    proxy.blackhole();
    const reads = archived.slice(0, 6).map((e) => get(t.app, `/events/${e.id}`));
    await new Promise((r) => setTimeout(r, 100));
    const hotRead = await get(t.app, `/events/${hot!.id}`);
    expect(hotRead.status).toBe(200);
    for (const res of await Promise.all(reads)) {
      expect(res.status).toBe(503);
      expect(res.body.detail).toMatch(/archive storage cannot be read now/);
    }
    expect((await get(t.app, '/health')).body.archive).toMatchObject({ storage: 'failing', storage_error: expect.stringMatching(/did not answer within 0.5 s/) });
    expect((await get(t.app, `/events/${archived[7]!.id}`)).status).toBe(503);

    proxy.restore();
    // A run that succeeds shows the storage answering again (it lists it), before any read does.
    expect(await archiveNow(t.app)).toMatchObject({ status: 'succeeded' });
    expect([(await get(t.app, '/health')).body.archive.storage, await metricValue(t, 'archive_storage_up')]).toEqual(['ok', 1]);
    expect(await waitUntil(async () => (await get(t.app, `/events/${archived[7]!.id}`)).status === 200, 10_000)).toBe(true);
  });

  it.skipIf(process.getuid?.() !== 0)('a full directory (a 64 kB tmpfs): the run fails, nothing leaves PostgreSQL, /health and /metrics say "no space left"', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evt-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
    cleanup.push(async () => {
      execFileSync('umount', [dir]);
      await rm(dir, { recursive: true, force: true });
    });
    const t = await startTestService({ ARCHIVE_URL: pathToFileURL(dir).href, ARCHIVE_INTERVAL: '0' });
    cleanup.push(() => t.close());
    const [archived] = await seed(t, 'crate', 3);
    expect((await archiveNow(t.app)).status).toBe('succeeded');
    // Random bytes do not compress: 300 events of 1 kB make a segment far beyond 64 kB.
    await seed(t, 'pallet', 300, 512);
    await expectFailedCleanly(t, 'pallet', 300, /no space left/);
    // Reading what is archived still works, and does not make the runs' failure look mended.
    expect((await get(t.app, `/events/${archived!.id}`)).status).toBe(200);
    expect((await get(t.app, '/health')).body.archive).toMatchObject({ storage: 'failing', storage_error: expect.stringMatching(/no space left/) });
    expect(await metricValue(t, 'archive_storage_up')).toBe(0);
  });

  it('a segment damaged or missing: reads that need it answer 503 naming it, never other bytes; /health and /metrics say so until it is restored', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evt-damaged-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const t = await startTestService({ ARCHIVE_URL: pathToFileURL(dir).href, ARCHIVE_INTERVAL: '0' });
    cleanup.push(() => t.close());
    const events = await seed(t, 'tote', 10);
    expect((await archiveNow(t.app)).status).toBe('succeeded');
    const { key } = (await t.sql<{ key: string }[]>`select key from archive_segments where aggregate_type = 'tote'`)[0]!;
    const file = join(dir, key);
    const whole = await readFile(file);
    const expectRefused = async (detail: RegExp) => {
      for (const path of [`/events/${events[4]!.id}`, '/events?aggregate_type=tote']) {
        const res = await get(t.app, path);
        expect(res.status, path).toBe(503);
        expect(res.body.detail, path).toMatch(detail);
      }
      const health = (await get(t.app, '/health')).body.archive;
      expect(health).toMatchObject({ storage: 'failing', storage_error: expect.stringMatching(detail) });
      expect(await metricValue(t, 'archive_segments_damaged')).toBe(1);
      expect(await metricValue(t, 'archive_storage_up')).toBe(0);
    };

    // One bit flipped in the events' bytes: the reader would have served another event (an id changed).
    const flipped = Buffer.from(whole);
    flipped[Math.floor(flipped.length / 3)]! ^= 1;
    await writeFile(file, flipped);
    await expectRefused(new RegExp(`segment ${key} is damaged`));
    await rm(file);
    await expectRefused(new RegExp(`no segment ${key}, which the manifest lists`));

    await writeFile(file, whole);
    const read = await get(t.app, `/events/${events[4]!.id}`);
    expect(read.status).toBe(200);
    expect(read.body.id).toBe(events[4]!.id);
    expect((await get(t.app, '/health')).body.archive.storage).toBe('ok');
    expect(await metricValue(t, 'archive_segments_damaged')).toBe(0);

    // Another segment damaged, then deleted by retention: nothing will read it again, so it is no longer a fault.
    await seed(t, 'bin', 5);
    expect((await archiveNow(t.app)).status).toBe('succeeded');
    const binFile = join(dir, (await t.sql<{ key: string }[]>`select key from archive_segments where aggregate_type = 'bin'`)[0]!.key);
    await writeFile(binFile, Buffer.alloc((await readFile(binFile)).length));
    expect((await get(t.app, '/events?aggregate_type=bin')).status).toBe(503);
    expect(await metricValue(t, 'archive_segments_damaged')).toBe(1);
    await putPolicy(t.app, 'bin', { archive_after: 'PT0S', delete_after: 'PT0S' });
    expect(await archiveNow(t.app)).toMatchObject({ status: 'succeeded', deleted: 5 });
    expect(await waitUntil(async () => (await metricValue(t, 'archive_segments_damaged')) === 0)).toBe(true);
    expect((await get(t.app, '/health')).body.archive.storage).toBe('ok');
    expect((await get(t.app, '/events?aggregate_type=bin')).body.events).toEqual([]);
  });
});
