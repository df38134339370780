import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchiveStep } from '../../src/lifecycle/segment-writer.ts';
import { archiveNow, putPolicy, tempArchive, waitPublished } from '../support/archive.ts';
import { get, newId, postJson } from '../support/http.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { batchTexts, eventTexts } from '../support/tiered-seed.ts';
import { waitUntil } from '../support/wait.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// Segments of 10 events in partitions of 20 positions: a run both drops partitions and removes rows.
// A lease short enough to recover quickly, long enough that a loaded machine delaying a live run's
// heartbeat (the run encodes segments on the same event loop) does not make it look dead.
const LEASE_MS = 2_000;
const ENV = { ARCHIVE_INTERVAL: '0', ARCHIVE_LEASE_MS: String(LEASE_MS), ARCHIVE_SEGMENT_EVENTS: '10', EVENTS_PARTITION_SIZE: '20' };

let t: TestService;
let archive: Awaited<ReturnType<typeof tempArchive>>;
const stored = new Map<string, string>(); // id -> the JSON the service answered at append
beforeAll(async () => {
  archive = await tempArchive();
  t = await startTestService({ ...ENV, ARCHIVE_URL: archive.url });
  await t.service.partitions.runOnce();
  await putPolicy(t.app, 'crash', { archive_after: 'PT0S' });
});
afterAll(async () => {
  await t.close();
  await archive.remove();
});

/** Runs an archive run in a child process that SIGKILLs itself right after `step`. */
function crashAt(step: ArchiveStep): Promise<NodeJS.Signals | null> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/support/archive-child.ts')], {
    cwd: ROOT, env: { ...process.env, ...ENV, DATABASE_URL: t.databaseUrl, ARCHIVE_URL: archive.url, CRASH_AT: step, LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return new Promise((resolve) => child.on('exit', (_code, signal) => {
    if (signal !== 'SIGKILL') console.error(out);
    resolve(signal);
  }));
}

async function appendRound(n: number) {
  const events = Array.from({ length: n }, (_, i) => ({ event_type: 'crash.noted', aggregate_id: i % 2 ? newId() : '6f1e0e1c-0000-4000-8000-000000000001', payload: { i } }));
  const res = await postJson(t.app, '/events/batch', { events });
  expect(res.status).toBe(201);
  batchTexts(res.text).forEach((text) => stored.set(JSON.parse(text).id, text));
  await waitPublished(t, res.body.events[n - 1].position);
}

/** Every event readable exactly once, as stored, by id and in the log; no position both hot and archived. */
async function expectExactlyOnce(gone = new Set<string>()) {
  const log: string[] = [];
  for (let after = 0; ;) {
    const page = await get(t.app, `/events?aggregate_type=crash&limit=13&after=${after}`);
    log.push(...eventTexts(page.text));
    if (page.body.next_after === null) break;
    after = page.body.next_after;
  }
  const expected = [...stored.entries()].filter(([id]) => !gone.has(id)).map(([, text]) => text);
  expect(log).toEqual(expected.sort((a, b) => JSON.parse(a).position - JSON.parse(b).position));
  for (const [id, text] of stored) {
    const res = await get(t.app, `/events/${id}`);
    if (gone.has(id)) expect(res.status).toBe(410);
    else expect(res.text).toBe(text);
  }
  const overlap = await t.sql`select count(*)::int as n from archive_segments s join events e on e.aggregate_type = s.aggregate_type and e.position between s.from_position and s.to_position`;
  expect(overlap[0]!.n).toBe(0);
}

/** A run of the service itself, once the killed run's lease has run out; then no file is left that the manifest does not name. */
async function recover() {
  expect(await waitUntil(async () => (await t.sql`select 1 from archive_runs where status = 'running' and updated_at > now() - ${LEASE_MS} * interval '1 millisecond'`).length === 0, 10_000)).toBe(true);
  expect((await archiveNow(t.app)).status).toBe('succeeded');
  const keys = new Set((await t.sql<{ key: string }[]>`select key from archive_segments`).map((r) => r.key.replace(/\.parquet$/, '')));
  const onDisk = (await readdir(join(archive.dir, 'segments'), { recursive: true })).filter((f) => /\.(parquet|json)$/.test(f));
  expect(onDisk.filter((f) => !keys.has(`segments/${f.replace(/\.(parquet|json)$/, '')}`))).toEqual([]);
}

describe('a run killed (SIGKILL) at any step', () => {
  for (const step of ['segment-written', 'sidecar-written', 'verified', 'committing', 'committed'] as const) {
    it(`after "${step}" leaves every event readable exactly once, and the next run archives the rest and removes the orphans`, async () => {
      await appendRound(25);
      expect(await crashAt(step)).toBe('SIGKILL');
      await expectExactlyOnce();
      await recover();
      expect(Number((await t.sql`select count(*) as n from events where aggregate_type = 'crash'`)[0]!.n)).toBe(0);
      await expectExactlyOnce();
    });
  }

  for (const step of ['forgetting', 'forgotten'] as const) {
    it(`deleting archived segments, after "${step}": the events are there or gone as a whole, and no file outlives its manifest row`, async () => {
      await appendRound(12);
      expect((await archiveNow(t.app)).status).toBe('succeeded');
      const due = new Set((await t.sql<{ id: string }[]>`select d.id::text from event_ids d join archive_segments s on d.position between s.from_position and s.to_position and s.aggregate_type = 'crash'`).map((r) => r.id));
      await putPolicy(t.app, 'crash', { archive_after: 'PT0S', delete_after: 'PT0S' });
      expect(await crashAt(step)).toBe('SIGKILL');
      const deletedBefore = [...stored.keys()].filter((id) => !due.has(id));
      await expectExactlyOnce(new Set(step === 'forgotten' ? stored.keys() : deletedBefore));
      await recover();
      await expectExactlyOnce(new Set(stored.keys()));
      await putPolicy(t.app, 'crash', { archive_after: 'PT0S' });
    });
  }
});
