import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { overflowsHorizontally } from '../support/browser.ts';
import { seedConsoleData } from '../support/console-data.ts';
import { consoleHarness } from '../support/console-harness.ts';
import { counter } from '../support/counter-aggregate.ts';
import { get, newId, postJson } from '../support/http.ts';
import { startTestService } from '../support/service.ts';
import { waitUntil } from '../support/wait.ts';

const ui = consoleHarness(() => startTestService({}, undefined, { aggregates: [counter] }));
// The longest event type there is: 64 characters, a dot, 64 more.
const LONG_TYPE = `${'a'.repeat(64)}.${'b'.repeat(64)}`;
let longEvent: { id: string; position: number };
beforeAll(async () => {
  await seedConsoleData(ui.t);
  const correlation = { correlation_id: `long-${newId().slice(0, 8)}` };
  const first = await postJson(ui.t.app, '/events', { event_type: LONG_TYPE, aggregate_id: newId(), payload: {}, metadata: correlation });
  expect(first.status).toBe(201);
  const second = await postJson(ui.t.app, '/events', { event_type: LONG_TYPE, aggregate_id: newId(), payload: {}, metadata: correlation });
  expect(second.status).toBe(201);
  longEvent = first.body;
  expect(await waitUntil(async () => (await get(ui.t.app, '/stats')).body.up_to >= second.body.position)).toBe(true);
});

const tailPositions = (page: Page) => page.locator('table.events tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-position'))));

describe('console: live tail', () => {
  it('pause then resume while it waits to reconnect follows one stream: each event shown once', async () => {
    const sensor = newId();
    let failing = true;
    let streams = 0;
    const page = await ui.open(`/admin/tail?aggregate_id=${sensor}`, {
      async before(p) {
        ui.page.expectHttpError(503, /^\/events\/stream$/);
        // The page's timers stand still: a wait to reconnect lasts until the test moves the clock.
        await p.clock.install();
        await p.clock.pauseAt(Date.now() + 60_000);
        await p.route((url) => url.pathname === '/events/stream', (route) => {
          if (failing) return route.fulfill({ status: 503, contentType: 'application/problem+json', body: '{"title":"Service Unavailable","status":503}' });
          streams++;
          return route.fallback();
        });
      },
    });
    const status = page.locator('#tail-status');
    await status.filter({ hasText: 'reconnecting' }).waitFor();
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('button', { name: 'Resume' }).click();
    await status.filter({ hasText: 'reconnecting' }).waitFor();
    failing = false;
    await page.clock.runFor(1500);
    await status.filter({ hasText: 'Live' }).waitFor();
    const appended: number[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await postJson(ui.t.app, '/events', { event_type: 'sensor.read', aggregate_id: sensor, payload: { i } });
      expect(res.status).toBe(201);
      appended.unshift(res.body.position);
      await expect.poll(() => tailPositions(page), { timeout: 10_000 }).toContain(res.body.position);
    }
    expect(await tailPositions(page)).toEqual(appended);
    expect(streams).toBe(1);
  });
});

describe('console: aggregate history', () => {
  it('shows the first event as the state after it, not as a change from nothing; a sequence in the URL that is not one is said', async () => {
    const id = newId();
    for (const by of [2, 5]) expect((await postJson(ui.t.app, '/events', { event_type: 'counter.incremented', aggregate_id: id, payload: { by } })).status).toBe(201);
    const page = await ui.open(`/admin/aggregates/counter/${id}?at_sequence=abc`, { before: (p) => p.setDefaultTimeout(10_000) });
    const buttons = page.getByRole('button', { name: 'Show changes' });
    await expect.poll(() => buttons.count()).toBe(2);
    await buttons.nth(0).click();
    await buttons.nth(1).click();
    expect(JSON.parse(await page.getByLabel('State after the first event').innerText())).toEqual({ total: 2, labels: [] });
    await expect.poll(() => page.locator('ul.diff').allInnerTexts()).toEqual(['/total changed from 2 to 7']);
    expect(await page.locator('main').innerText()).not.toContain('(whole state)');
    await page.locator('p.note', { hasText: 'at_sequence=abc' }).waitFor();
  });
});

describe('console: long names and edges', () => {
  it('an event of the longest type fits 390 px, its correlation timeline included', async () => {
    const page = await ui.open(`/admin/events/${longEvent.id}`, { width: 390 });
    await page.locator('ol.timeline li').nth(1).waitFor();
    expect(await overflowsHorizontally(page)).toBe(false);
  });

  it("the overview's chart legend and totals fit 390 px with the longest type, its count in view", async () => {
    const page = await ui.open('/admin', { width: 390 });
    await page.locator('#stats-chart canvas').waitFor();
    const row = page.locator('#stats-totals tbody tr', { hasText: 'aaaa' });
    await row.waitFor();
    expect(await overflowsHorizontally(page)).toBe(false);
    const count = await row.locator('td').boundingBox();
    expect(count!.x + count!.width).toBeLessThanOrEqual(390);
  });

  it("the chart's current bucket is as wide as the others", async () => {
    const page = await ui.open('/admin?bucket=day&range=7d', {
      // Keeps every uPlot the page builds, to read where it draws the buckets.
      before: async (p) => {
        await p.addInitScript(() => {
          const w = globalThis as any;
          w.plots = [];
          let real: any;
          Object.defineProperty(w, 'uPlot', {
            configurable: true,
            get: () => real,
            set: (u: any) => { real = class extends u { constructor(...a: any[]) { super(...a); w.plots.push(this); } }; },
          });
        });
      },
    });
    await page.locator('#stats-chart canvas').waitFor();
    const widths = await page.evaluate(() => {
      const u = (globalThis as any).plots.at(-1);
      const today = Math.floor(Date.now() / 86_400_000) * 86_400;
      return { current: u.valToPos(u.scales.x.max, 'x') - u.valToPos(today, 'x'), previous: u.valToPos(today, 'x') - u.valToPos(today - 86_400, 'x') };
    });
    expect(widths.current).toBeGreaterThan(0);
    expect(Math.abs(widths.current - widths.previous)).toBeLessThan(2);
  });

  it('the event browser pages from an offset in the URL, and says what of the URL it cannot use', async () => {
    const expected = (await get(ui.t.app, '/events?limit=10&offset=20')).body.events.map((e: { position: number }) => e.position);
    const page = await ui.open('/admin/events?offset=20&limit=10');
    await page.locator('#results table').waitFor();
    const shown = await page.locator('#results tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.querySelector('td')?.textContent)));
    expect(shown).toEqual(expected);
    expect(await page.getByRole('button', { name: '← Previous' }).isDisabled()).toBe(false);
    await page.getByRole('button', { name: 'Next →' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('after')).toBe(String(expected.at(-1)));
    expect(new URL(page.url()).searchParams.has('offset')).toBe(false);

    const wide = await ui.open('/admin/events?limit=5000&offset=-3');
    await wide.locator('#results table').waitFor();
    expect(await wide.locator('#url-note').innerText()).toMatch(/limit=5000 .* 50 events per page are shown\. offset=-3 .* ignored/);
  });
});
