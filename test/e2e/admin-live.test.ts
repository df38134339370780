import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { screenshot } from '../support/browser.ts';
import { seedConsoleData } from '../support/console-data.ts';
import { consoleHarness } from '../support/console-harness.ts';
import { newId, postJson } from '../support/http.ts';
import { startTestService } from '../support/service.ts';

const ui = consoleHarness(() => startTestService());
beforeAll(() => seedConsoleData(ui.t));

const append = async (aggregateId: string, eventType = 'sensor.read', payload: Record<string, unknown> = {}) => {
  const res = await postJson(ui.t.app, '/events', { event_type: eventType, aggregate_id: aggregateId, payload });
  expect(res.status).toBe(201);
  return res.body.position as number;
};
const tailPositions = (page: Page) => page.locator('table.events tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-position'))));
const live = (page: Page) => page.locator('#tail-status', { hasText: 'Live' }).waitFor();

describe('admin console: live tail', () => {
  it('shows an event appended after it opened, with its filters in the URL', async () => {
    const sensor = newId();
    const page = await ui.open(`/admin/tail?aggregate_id=${sensor}`);
    await live(page);
    expect(await page.getByLabel('Aggregate id').inputValue()).toBe(sensor);
    await append(newId());
    const position = await append(sensor);
    await expect.poll(() => tailPositions(page), { timeout: 10_000 }).toEqual([position]);
  });

  it('pause then resume continues from the last position seen: nothing skipped, nothing twice', async () => {
    const sensor = newId();
    const page = await ui.open(`/admin/tail?aggregate_id=${sensor}`);
    await live(page);
    const first = await append(sensor);
    await expect.poll(() => tailPositions(page)).toEqual([first]);
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.locator('#tail-status', { hasText: `Paused after position ${first}` }).waitFor();
    const whilePaused = [await append(sensor), await append(sensor), await append(sensor)];
    expect(await tailPositions(page)).toEqual([first]);
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => tailPositions(page), { timeout: 10_000 }).toEqual([...whilePaused].reverse().concat(first));
    const after = await append(sensor);
    await expect.poll(() => tailPositions(page)).toEqual([after, ...[...whilePaused].reverse(), first]);
  });

  it('without filters, shows every new event, newest first', async () => {
    const page = await ui.open('/admin/tail');
    await live(page);
    const agent = newId();
    const positions = [
      await append(agent, 'agent.created', { name: 'tail-agent' }),
      await append(newId(), 'task.created', { title: 'Watch the tail' }),
      await append(agent, 'agent.noted', { note: 'watching' }),
      await append(newId(), 'plan.approved', { steps: 2 }),
    ];
    await expect.poll(() => tailPositions(page), { timeout: 10_000 }).toEqual([...positions].reverse());
    await screenshot(page, 'tail');
  });
});
