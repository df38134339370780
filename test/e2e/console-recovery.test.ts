import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempArchive } from '../support/archive.ts';
import { seedConsoleData } from '../support/console-data.ts';
import { consoleHarness } from '../support/console-harness.ts';
import { get, postJson } from '../support/http.ts';
import { startTestService } from '../support/service.ts';
import { waitUntil } from '../support/wait.ts';

// Views that refresh or poll keep going through a failed request: the problem shows where the
// view is, and the next answer clears it. Replays are slowed so one runs for a few seconds.
let archive: Awaited<ReturnType<typeof tempArchive>> | undefined;
const ui = consoleHarness(async () => {
  archive = await tempArchive();
  return startTestService({ ARCHIVE_URL: archive.url, ARCHIVE_INTERVAL: '0', REPLAY_BATCH_SIZE: '5', REPLAY_PAUSE_MS: '500' });
}, { afterClose: async () => archive?.remove() });
beforeAll(async () => {
  const data = await seedConsoleData(ui.t);
  const head = data.events.at(-1)!.position;
  expect(await waitUntil(async () => (await get(ui.t.app, '/stats')).body.up_to >= head)).toBe(true);
});
const open = (path: string) => ui.open(path, { before: (page) => page.setDefaultTimeout(10_000) });

/** Answers the next `n` GETs of `path` with `status` (a problem+json body); the rest go through. */
async function failNext(page: Page, path: string, n: number, status = 503) {
  ui.page.expectHttpError(status, new RegExp(`^${path.replace(/[/.]/g, '\\$&')}$`));
  let left = n;
  await page.route((url) => url.pathname === path, (route) => {
    if (route.request().method() !== 'GET' || left <= 0) return route.fallback();
    left--;
    return route.fulfill({ status, contentType: 'application/problem+json', body: JSON.stringify({ title: 'Service Unavailable', status }) });
  });
}

/** Counts the page's GETs of `path` from now on. */
function countRequests(page: Page, path: string) {
  let n = 0;
  page.on('request', (r) => {
    if (r.method() === 'GET' && new URL(r.url()).pathname === path) n++;
  });
  return () => n;
}

const stats = (page: Page) => page.locator('#panel-stats');

describe('console: a failed request does not stop a refreshing view', () => {
  it('the chart keeps its form when the service refuses the aggregate type in the URL, the 400 beside it, through refreshes', async () => {
    const page = await ui.open('/admin?aggregate_type=BAD&refresh=1', { before: () => ui.page.expectHttpError(400, /^\/stats$/) });
    const asked = countRequests(page, '/stats');
    await stats(page).locator('.problem[data-status="400"]').waitFor();
    await expect.poll(() => asked(), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    expect(await page.getByLabel('Aggregate type', { exact: true }).inputValue()).toBe('BAD');
    expect(await stats(page).locator('.problem').count()).toBe(1);
    await page.getByLabel('Aggregate type', { exact: true }).fill('task');
    await stats(page).getByRole('button', { name: 'Show' }).click();
    await stats(page).locator('#stats-totals').waitFor();
    await expect.poll(() => stats(page).locator('.problem').count()).toBe(0);
    expect(new URL(page.url()).searchParams.get('aggregate_type')).toBe('task');
  });

  it('after an outage of GET /stats the chart comes back, its form still working', async () => {
    const page = await open('/admin?refresh=1');
    await stats(page).locator('#stats-totals').waitFor();
    await failNext(page, '/stats', 2);
    await stats(page).locator('.problem[data-status="503"]').waitFor();
    expect(await page.getByLabel('Bucket', { exact: true }).isVisible()).toBe(true);
    await expect.poll(() => stats(page).locator('.problem').count(), { timeout: 10_000 }).toBe(0);
    await page.getByLabel('Bucket', { exact: true }).selectOption('day');
    await expect.poll(() => stats(page).locator('[role="status"]').innerText()).toMatch(/by day \(UTC\)/);
  });

  it('the replay page shows a failed poll and follows the replay to its end', async () => {
    const started = await postJson(ui.t.app, '/replays', { filter: { event_type: 'task.progressed' }, channel: 'replay:console-recovery' });
    expect(started.status).toBe(202);
    const path = `/replays/${started.body.id}`;
    const page = await open(`/admin${path}`);
    await page.locator('#replay-status', { hasText: 'running' }).waitFor();
    await failNext(page, path, 2);
    await page.locator('.problem[data-status="503"]').waitFor();
    await page.locator('#replay-status', { hasText: 'completed' }).waitFor({ timeout: 30_000 });
    expect(await page.locator('.problem').count()).toBe(0);
  });

  it('the list of replays loads after its first reads failed', async () => {
    const page = await ui.open('/admin/replays', { before: (p) => failNext(p, '/replays', 2) });
    await page.locator('#recent-title ~ div .problem[data-status="503"]').first().waitFor();
    await page.locator('#replay-list, #recent-title ~ div .empty').first().waitFor({ timeout: 10_000 });
    expect(await page.locator('.problem').count()).toBe(0);
  });

  it('an archive run whose first reads failed is shown once the service answers; with nothing planned it says so', async () => {
    const started = await postJson(ui.t.app, '/archive/runs', {});
    expect(started.status).toBe(202);
    const path = `/archive/runs/${started.body.id}`;
    expect(await waitUntil(async () => (await get(ui.t.app, path)).body.status === 'succeeded', 15_000, 50)).toBe(true);
    expect((await get(ui.t.app, path)).body.planned).toBe(0);
    const page = await ui.open(`/admin/retention/runs/${started.body.id}`, { before: (p) => failNext(p, path, 2) });
    await page.locator('.problem[data-status="503"]').waitFor();
    await page.locator('#run-status', { hasText: 'succeeded' }).waitFor({ timeout: 10_000 });
    expect(await page.locator('.problem').count()).toBe(0);
    expect(await page.locator('label[for="run-progress"]').innerText()).toBe('Nothing planned: no event to archive or delete');
  });

  it('the list of archive runs loads after its first read failed', async () => {
    const page = await ui.open('/admin/retention', { before: (p) => failNext(p, '/archive/runs', 1) });
    await page.locator('#runs-title ~ div .problem[data-status="503"]').first().waitFor();
    await page.locator('#archive-runs').waitFor({ timeout: 10_000 });
    expect(await page.locator('.problem').count()).toBe(0);
  });
});

describe('console: retention with a segment type the service refuses', () => {
  it('shows the 400 in the segments section and loads the rest; the field checks the pattern', async () => {
    const page = await ui.open('/admin/retention?segments_type=BAD', { before: () => ui.page.expectHttpError(400, /^\/archive\/segments$/) });
    await page.locator('#segments .problem[data-status="400"]').waitFor();
    await page.locator('#archive-runs, #runs-title ~ div .empty').first().waitFor();
    expect(await page.locator('main .problem').count()).toBe(1);
    expect(await page.locator('main').innerText()).not.toContain('Loading…');
    const input = page.getByLabel('Segments of type');
    expect(await input.getAttribute('aria-invalid')).toBe('true');
    await input.fill('Task');
    await page.locator('#segments').getByRole('button', { name: 'Show' }).click();
    expect(await input.evaluate((el) => (el as unknown as { validity: { patternMismatch: boolean } }).validity.patternMismatch)).toBe(true);
    expect(new URL(page.url()).searchParams.get('segments_type')).toBe('BAD');
  });
});
