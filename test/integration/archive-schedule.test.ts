import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putPolicy, tempArchive, waitPublished } from '../support/archive.ts';
import { get, newId, postJson } from '../support/http.ts';
import { createTestDatabase, startTestService, type TestService } from '../support/service.ts';
import { eventTexts } from '../support/tiered-seed.ts';
import { waitUntil } from '../support/wait.ts';

let a: TestService, b: TestService;
let archive: Awaited<ReturnType<typeof tempArchive>>;
beforeAll(async () => {
  archive = await tempArchive();
  const url = await createTestDatabase();
  const env = { ARCHIVE_URL: archive.url, ARCHIVE_INTERVAL: 'PT1S', ARCHIVE_LEASE_MS: '2000' };
  a = await startTestService(env, url);
  b = await startTestService(env, url);
});
afterAll(async () => {
  await a.close();
  await b.close();
  await archive.remove();
});

interface RunRow {
  owner: string;
  trigger: string;
  started_at: Date;
  finished_at: Date | null;
  archived: string;
}

describe('scheduled runs', () => {
  it('run on their own, one at a time across two instances, at most once per interval, archiving every event once', async () => {
    await putPolicy(a.app, 'beat', { archive_after: 'PT0S' });
    const ids: string[] = [];
    const deadline = Date.now() + 30_000;
    let runs: RunRow[] = [];
    for (let round = 0; Date.now() < deadline; round++) {
      const via = round % 2 ? a : b;
      const res = await postJson(via.app, '/events/batch', { events: Array.from({ length: 20 }, (_, i) => ({ event_type: 'beat.noted', aggregate_id: newId(), payload: { round, i } })) });
      expect(res.status).toBe(201);
      ids.push(...res.body.events.map((e: { id: string }) => e.id));
      await waitPublished(a, res.body.events[19].position);
      runs = await a.sql<RunRow[]>`select owner, trigger, started_at, finished_at, archived from archive_runs where not dry_run order by started_at`;
      if (runs.filter((r) => r.finished_at !== null && Number(r.archived) > 0).length >= 3) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(runs.filter((r) => Number(r.archived) > 0).length).toBeGreaterThanOrEqual(3);
    expect(runs.every((r) => r.trigger === 'schedule')).toBe(true);
    for (let i = 1; i < runs.length; i++) {
      expect(runs[i]!.started_at.getTime()).toBeGreaterThanOrEqual(runs[i - 1]!.finished_at!.getTime());
      expect(runs[i]!.started_at.getTime() - runs[i - 1]!.started_at.getTime()).toBeGreaterThanOrEqual(1000 - 1);
    }
    expect(await waitUntil(async () => Number((await a.sql`select count(*) as n from events where aggregate_type = 'beat'`)[0]!.n) === 0, 15_000)).toBe(true);
    expect(await a.sql`select 1 from archive_runs where status = 'failed'`).toHaveLength(0);
    const log: string[] = [];
    for (let after = 0; ;) {
      const page = await get(b.app, `/events?aggregate_type=beat&limit=1000&after=${after}`);
      log.push(...eventTexts(page.text).map((text) => JSON.parse(text).id));
      if (page.body.next_after === null) break;
      after = page.body.next_after;
    }
    expect(log).toEqual(ids);
  });
});

describe('appends during a run', () => {
  it('are acknowledged while the run is going', async () => {
    await putPolicy(a.app, 'beat', {});
    await putPolicy(a.app, 'bulk', { archive_after: 'PT0S' });
    let last = 0;
    for (let i = 0; i < 12; i++) {
      const res = await postJson(a.app, '/events/batch', { events: Array.from({ length: 1000 }, (_, k) => ({ event_type: 'bulk.noted', aggregate_id: newId(), payload: { i, k, text: 'x'.repeat(64) } })) });
      expect(res.status).toBe(201);
      last = res.body.events[999].position;
    }
    await waitPublished(a, last);
    // Waits for the scheduler of either instance to start a run.
    let running = false;
    expect(await waitUntil(async () => (running = (await a.sql`select 1 from archive_runs where status = 'running' and not dry_run and planned > 0`).length > 0), 15_000, 10)).toBe(true);
    let duringRun = 0;
    while (running) {
      const res = await postJson(b.app, '/events', { event_type: 'tick.noted', aggregate_id: newId() });
      expect(res.status).toBe(201);
      running = (await a.sql`select 1 from archive_runs where status = 'running' and not dry_run and planned > 0`).length > 0;
      if (running) duringRun++;
    }
    expect(duringRun).toBeGreaterThan(0);
    expect(await waitUntil(async () => Number((await a.sql`select count(*) as n from events where aggregate_type = 'bulk'`)[0]!.n) === 0, 30_000)).toBe(true);
  });
});
