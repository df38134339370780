import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { overflowsHorizontally, screenshot } from '../support/browser.ts';
import { seedConsoleData } from '../support/console-data.ts';
import { consoleHarness } from '../support/console-harness.ts';
import { get } from '../support/http.ts';
import { startTestService } from '../support/service.ts';
import { seedHistory } from '../support/stats-history.ts';
import { waitUntil } from '../support/wait.ts';

const ui = consoleHarness(() => startTestService());
let history: number;
beforeAll(async () => {
  history = await seedHistory(ui.t.sql);
  const data = await seedConsoleData(ui.t);
  const head = data.events.at(-1)!.position;
  expect(await waitUntil(async () => (await get(ui.t.app, '/stats')).body.up_to >= head)).toBe(true);
});
const open = (path: string, width?: number) => ui.open(path, { width });

const totals = async (page: Page) => Object.fromEntries((await page.locator('#stats-totals tbody tr').allInnerTexts()).map((row) => {
  const [type, n] = row.split('\t');
  return [type!.trim(), Number(n!.replace(/,/g, ''))];
}));

describe('admin console: events over time', () => {
  it('charts the counts of GET /stats per event type, with their totals', async () => {
    const page = await open('/admin');
    await page.locator('#stats-chart canvas').waitFor();
    const shown = await totals(page);
    const expected = (await get(ui.t.app, '/stats?bucket=hour')).body.totals;
    expect(shown).toEqual(expected);
    expect(Object.values(shown).reduce((a, b) => a + b, 0)).toBe(history + 67);
    expect(await page.locator('#panel-stats [role="status"]').innerText()).toMatch(/events, last 24 hours by hour \(UTC\), whole buckets from \d{4}-\d\d-\d\d \d\d:00; counted up to position/);
    await screenshot(page, 'overview');
  });

  it('keeps the bucket, range and aggregate type in the URL, through a reload', async () => {
    const page = await open('/admin');
    await page.locator('#stats-chart canvas').waitFor();
    await page.getByLabel('Bucket', { exact: true }).selectOption('minute');
    await page.getByLabel('Range', { exact: true }).selectOption('6h');
    await page.getByLabel('Aggregate type', { exact: true }).fill('task');
    await page.getByRole('button', { name: 'Show' }).click();
    await expect.poll(() => Object.fromEntries(new URL(page.url()).searchParams)).toEqual({ bucket: 'minute', range: '6h', aggregate_type: 'task' });
    // The unfiltered totals hold the task types too: wait until the table shows only the filter's.
    const filtered = async () => Object.keys(await totals(page)).filter((k, _, keys) => keys.every((x) => x.startsWith('task.')));
    await expect.poll(filtered).toEqual(expect.arrayContaining(['task.assigned', 'task.created', 'task.progressed']));
    expect(Object.keys(await totals(page)).every((k) => k.startsWith('task.'))).toBe(true);
    await page.reload();
    await page.locator('#stats-totals').waitFor();
    expect(await page.getByLabel('Bucket', { exact: true }).inputValue()).toBe('minute');
    expect(await page.getByLabel('Range', { exact: true }).inputValue()).toBe('6h');
    expect(await page.getByLabel('Aggregate type', { exact: true }).inputValue()).toBe('task');
    expect(Object.keys(await totals(page)).every((k) => k.startsWith('task.'))).toBe(true);
    // Ranges over 10,000 minute buckets cannot be chosen with minutes.
    expect(await page.locator('#f-range option[value="30d"]').isDisabled()).toBe(true);
    await page.getByLabel('Bucket', { exact: true }).selectOption('day');
    await expect.poll(() => new URL(page.url()).searchParams.get('bucket')).toBe('day');
    expect(await page.locator('#f-range option[value="90d"]').isDisabled()).toBe(false);
    // "Last hour" by day covers the last hour, widened to whole days, not today's bucket alone.
    const asked = page.waitForRequest((r) => r.url().includes('/stats?') && r.url().includes('bucket=day'));
    await page.getByLabel('Range', { exact: true }).selectOption('1h');
    const query = new URL((await asked).url()).searchParams;
    const [from, to, now] = [Date.parse(query.get('from')!), Date.parse(query.get('to')!), Date.now()];
    expect([from % 86_400_000, to % 86_400_000]).toEqual([0, 0]);
    expect(from).toBeLessThanOrEqual(now - 3_600_000);
    expect(to).toBeGreaterThanOrEqual(now - 60_000);
  });

  it('fits 390 px without scrolling sideways', async () => {
    const page = await open('/admin?bucket=hour&range=24h', 390);
    await page.locator('#stats-chart canvas').waitFor();
    expect(await overflowsHorizontally(page)).toBe(false);
  });
});
