import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { agentAggregate, agentEventTypes } from '../support/agent-aggregate.ts';
import { openConsolePage, overflowsHorizontally, screenshot } from '../support/browser.ts';
import { seedConsoleData } from '../support/console-data.ts';
import { consoleHarness } from '../support/console-harness.ts';
import { newId, postJson } from '../support/http.ts';
import { startTestService } from '../support/service.ts';
import { counter } from '../support/counter-aggregate.ts';

const ui = consoleHarness(() => startTestService({}, undefined, { aggregates: [agentAggregate(), counter], eventTypes: agentEventTypes }));
let data: Awaited<ReturnType<typeof seedConsoleData>>;
beforeAll(async () => {
  data = await seedConsoleData(ui.t);
});
const open = (path: string, width?: number) => ui.open(path, { width });

describe('admin console: browsing', () => {
  it('the overview shows the head, the publish lag, Redis and appends by type', async () => {
    const page = await open('/admin?refresh=1');
    await page.locator('#panel-health dd').first().waitFor();
    const health = page.locator('#panel-health');
    await expect.poll(() => health.innerText()).toContain(String(data.events.at(-1)!.position));
    expect(await health.innerText()).toMatch(/Redis\s+ok/);
    await page.locator('#appends-by-type').getByRole('row', { name: /task\.progressed/ }).waitFor();
    expect(await page.locator('#appends-by-type').innerText()).toMatch(/task\.progressed\s+60/);
    await page.locator('#panel-metrics canvas').waitFor({ timeout: 10_000 });
    // It refreshes: appends made while it is open show in the counts (and the chart's rates).
    const table = page.locator('#appends-by-type');
    const sensor = newId();
    for (const [type, count, shown] of [['sensor.read', 20, /sensor\.read\s+20\s/], ['sensor.read', 40, /sensor\.read\s+60\s/], ['sensor.calibrated', 30, /sensor\.calibrated\s+30\s/]] as const) {
      const events = Array.from({ length: count }, () => ({ event_type: type, aggregate_id: sensor }));
      expect((await postJson(ui.t.app, '/events/batch', { events })).status).toBe(201);
      await expect.poll(() => table.innerText(), { timeout: 10_000 }).toMatch(shown);
    }
  });

  const positionsShown = (page: Page) => page.locator('#results tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-position'))));

  it('filters land in the URL and survive a reload', async () => {
    const page = await open('/admin/events');
    await page.getByLabel('Event type').fill('task.progressed');
    await page.getByLabel('Aggregate id').fill(data.busyTask);
    await page.getByLabel('Order').selectOption('desc');
    await page.getByLabel('Per page').selectOption('25');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const newestFirst = data.progress.map((e) => e.position).reverse().slice(0, 25);
    await expect.poll(() => positionsShown(page)).toEqual(newestFirst);
    const url = new URL(page.url());
    expect(url.pathname).toBe('/admin/events');
    expect(Object.fromEntries(url.searchParams)).toEqual({ event_type: 'task.progressed', aggregate_id: data.busyTask, order: 'desc', limit: '25' });
    await page.reload();
    await expect.poll(() => positionsShown(page)).toEqual(newestFirst);
    expect(await page.getByLabel('Event type').inputValue()).toBe('task.progressed');
    expect(await page.getByLabel('Order').inputValue()).toBe('desc');
    await screenshot(page, 'events');
  });

  it('pages forwards and back by keyset in both orders, with the page held in the URL', async () => {
    const all = data.progress.map((e) => e.position);
    for (const order of ['asc', 'desc'] as const) {
      const positions = order === 'asc' ? all : [...all].reverse();
      const page = await open(`/admin/events?event_type=task.progressed&limit=25${order === 'desc' ? '&order=desc' : ''}`);
      const next = page.getByRole('button', { name: 'Next →' });
      const prev = page.getByRole('button', { name: '← Previous' });
      await expect.poll(() => positionsShown(page)).toEqual(positions.slice(0, 25));
      expect(await prev.isDisabled()).toBe(true);
      await next.click();
      await expect.poll(() => positionsShown(page)).toEqual(positions.slice(25, 50));
      await next.click();
      await expect.poll(() => positionsShown(page)).toEqual(positions.slice(50, 60));
      expect(await next.isDisabled()).toBe(true);
      await prev.click();
      await expect.poll(() => positionsShown(page)).toEqual(positions.slice(25, 50));
      await page.reload();
      await expect.poll(() => positionsShown(page)).toEqual(positions.slice(25, 50));
      await prev.click();
      await expect.poll(() => positionsShown(page)).toEqual(positions.slice(0, 25));
      expect(new URL(page.url()).searchParams.has('after')).toBe(false);
      await page.goBack();
      await expect.poll(() => positionsShown(page)).toEqual(positions.slice(25, 50));
      await ui.closePage();
    }
  });

  it('a refused filter shows the problem, its field errors and marks the field', async () => {
    const page = await open('/admin/events?from=yesterday');
    ui.page.expectHttpError(400, /^\/events$/);
    const problem = page.getByRole('alert');
    await problem.waitFor();
    expect(await problem.innerText()).toMatch(/400 Malformed request[\s\S]*\/from[\s\S]*ISO 8601/);
    expect(await page.getByLabel('From (inclusive)').getAttribute('aria-invalid')).toBe('true');
  });

  it("an event's page shows its JSON and everything sharing its correlation id on one timeline", async () => {
    const focus = data.correlated[2]!;
    const page = await open(`/admin/events/${focus.id}`);
    const json = JSON.parse(await page.getByLabel('Event JSON').innerText());
    expect(json).toMatchObject({ id: focus.id, position: focus.position, metadata: { correlation_id: data.correlationId } });
    const items = page.locator('.timeline li');
    await expect.poll(() => items.count()).toBe(data.correlated.length);
    const texts = await items.allInnerTexts();
    expect(texts.map((x) => Number(/#(\d+)/.exec(x)?.[1]))).toEqual(data.correlated.map((e) => e.position));
    expect(await page.locator('.timeline li[aria-current="true"]').innerText()).toContain(`#${focus.position}`);
    await page.getByRole('button', { name: 'Copy JSON' }).click();
    await expect.poll(() => page.getByRole('status').innerText()).toMatch(/Copied|selected/);
    await screenshot(page, 'event');
  });

  it('the aggregate view shows the state of a registered type, and says why another has none', async () => {
    const page = await open(`/admin/aggregates/agent/${data.agent}`);
    const state = JSON.parse(await page.getByLabel('Current state').innerText());
    expect(state).toMatchObject({ name: 'explorer', renames: 1 });
    await expect.poll(() => page.locator('table.events tbody tr').count()).toBe(3);
    await screenshot(page, 'aggregate');
    await page.goto(`${ui.url}/admin/aggregates/task/${data.task}`);
    await page.locator('.note').waitFor();
    expect(await page.locator('.note').innerText()).toContain('No aggregate definition is registered for the type "task"');
    await expect.poll(() => page.locator('table.events tbody tr').count()).toBe(2);
  });

  it('the filter form can be filled and submitted with the keyboard alone, focus visible', async () => {
    const page = await open('/admin/events');
    await page.getByLabel('Aggregate type').waitFor();
    const focused = () => page.evaluate('document.activeElement && document.activeElement.id');
    for (let i = 0; i < 20 && (await focused()) !== 'f-aggregate_type'; i++) await page.keyboard.press('Tab');
    expect(await focused()).toBe('f-aggregate_type');
    expect(await page.evaluate('getComputedStyle(document.activeElement).outlineStyle')).toBe('solid');
    await page.keyboard.type('agent');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('f-event_type');
    await page.keyboard.type('agent.created');
    await page.keyboard.press('Enter');
    await page.waitForURL(/event_type=agent\.created/);
    expect(new URL(page.url()).searchParams.get('aggregate_type')).toBe('agent');
    const created = data.events.filter((e) => e.event_type === 'agent.created').map((e) => e.position);
    await expect.poll(() => positionsShown(page)).toEqual(created);
  });

  it('every view fits 390 px and 1280 px without the page scrolling sideways', async () => {
    const views: [string, string][] = [
      ['/admin', '#appends-by-type'],
      ['/admin/events?event_type=task.progressed', '#results tbody tr'],
      [`/admin/events/${data.correlated[1]!.id}`, '.timeline li'],
      [`/admin/aggregates/agent/${data.agent}`, 'table.events tbody tr'],
      ['/admin/aggregates', 'main form'],
      ['/admin/tail', '#tail-status'],
      ['/admin/replays', 'main form'],
    ];
    for (const width of [390, 1280]) {
      const page = await open('/admin/aggregates', width);
      await page.locator('main form').waitFor();
      for (const [path, ready] of views) {
        // In-page navigation (as a link click does): the modules are not fetched again.
        await page.evaluate(`history.pushState(null, '', ${JSON.stringify(path)}); dispatchEvent(new PopStateEvent('popstate'))`);
        await page.locator(ready).first().waitFor();
        expect({ path, width, sideways: await overflowsHorizontally(page) }).toEqual({ path, width, sideways: false });
      }
      await ui.closePage();
    }
  });

  it('the harness catches what would fail a test: a request leaving 127.0.0.1, a console error', async () => {
    const harness = await openConsolePage(ui.browser);
    try {
      await harness.page.goto('about:blank');
      await harness.page.evaluate("fetch('http://192.0.2.1/x').catch(() => {}); console.error('boom')");
      await expect.poll(() => harness.problems()).toEqual(expect.arrayContaining([
        'request left 127.0.0.1: http://192.0.2.1/x',
        expect.stringContaining('console error: boom'),
      ]));
    } finally {
      await harness.close();
    }
  });

  it('the aggregate view shows what each event changed and the state at a sequence, held in the URL', async () => {
    const id = newId();
    for (const e of [{ event_type: 'counter.incremented', payload: { by: 2 } }, { event_type: 'counter.labelled', payload: { label: 'hot' } }, { event_type: 'counter.incremented', payload: { by: 5 } }]) {
      expect((await postJson(ui.t.app, '/events', { ...e, aggregate_id: id })).status).toBe(201);
    }
    const page = await open(`/admin/aggregates/counter/${id}`);
    const buttons = page.getByRole('button', { name: 'Show changes' });
    await expect.poll(() => buttons.count()).toBe(3);
    for (let i = 0; i < 3; i++) await buttons.nth(i).click();
    const changes = page.locator('ul.diff');
    await expect.poll(() => changes.count()).toBe(2);
    // The state before the first event is not in the API: the first shows the state after it.
    expect(JSON.parse(await page.getByLabel('State after the first event').innerText())).toEqual({ total: 2, labels: [] });
    expect(await changes.allInnerTexts()).toEqual([
      '/labels/0 added to "hot"',
      '/total changed from 2 to 7',
    ]);
    await page.getByLabel('State at sequence').fill('2');
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    expect(JSON.parse(await page.getByLabel('State at sequence 2').innerText())).toEqual({ total: 2, labels: ['hot'] });
    expect(new URL(page.url()).searchParams.get('at_sequence')).toBe('2');
    await screenshot(page, 'aggregate-history');
    await page.reload();
    expect(JSON.parse(await page.getByLabel('State at sequence 2').innerText())).toEqual({ total: 2, labels: ['hot'] });
    expect(await page.getByLabel('State at sequence', { exact: true }).inputValue()).toBe('2');
  });
});
