import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { holdRequests, screenshot } from '../support/browser.ts';
import { seedConsoleData } from '../support/console-data.ts';
import { consoleHarness } from '../support/console-harness.ts';
import { get } from '../support/http.ts';
import { startTestService } from '../support/service.ts';

const ui = consoleHarness(() => startTestService());
let data: Awaited<ReturnType<typeof seedConsoleData>>;
beforeAll(async () => {
  data = await seedConsoleData(ui.t);
});

const positionsShown = (page: Page) => page.locator('#results tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-position'))));

describe('admin console: saved queries', () => {
  it('saves the filters shown under a name, lists it, applies it from any page, and deletes it', async () => {
    const page = await ui.open('/admin/events?event_type=agent.created&order=desc');
    await page.locator('#results tbody tr').first().waitFor();
    await page.getByLabel('Save these filters as').fill('new-agents');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const link = page.getByRole('link', { name: 'new-agents' });
    await link.waitFor();
    expect((await get(ui.t.app, '/saved-queries/new-agents')).body.filter).toEqual({ event_type: 'agent.created', order: 'desc' });
    await screenshot(page, 'saved-queries');

    await page.goto(`${ui.url}/admin/events`);
    await link.click();
    await page.waitForURL(/event_type=agent\.created/);
    const created = data.events.filter((e) => e.event_type === 'agent.created').map((e) => e.position).reverse();
    await expect.poll(() => positionsShown(page)).toEqual(created);
    expect(await page.getByLabel('Order').inputValue()).toBe('desc');

    await page.getByRole('button', { name: 'Delete saved query new-agents' }).click();
    await link.waitFor({ state: 'detached' });
    expect((await get(ui.t.app, '/saved-queries/new-agents')).status).toBe(404);
  });

  it('Enter twice on Save, or a double click on delete, sends one request', async () => {
    const page = await ui.open('/admin/events?event_type=task.created');
    const sent: string[] = [];
    page.on('request', (r) => {
      if (r.method() !== 'GET') sent.push(`${r.method()} ${new URL(r.url()).pathname}`);
    });
    await page.getByLabel('Save these filters as').fill('new-tasks');
    await page.getByRole('button', { name: 'Save', exact: true }).focus();
    const release = await holdRequests(page, 'PUT'); // the second Enter comes while the first PUT is in flight
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    release();
    await page.getByRole('link', { name: 'new-tasks' }).waitFor();
    // Disabled while in flight, the button gets its focus back afterwards.
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Save');
    const releaseDelete = await holdRequests(page, 'DELETE');
    await page.getByRole('button', { name: 'Delete saved query new-tasks' }).dblclick();
    releaseDelete();
    await page.getByRole('link', { name: 'new-tasks' }).waitFor({ state: 'detached' });
    expect(sent).toEqual(['PUT /saved-queries/new-tasks', 'DELETE /saved-queries/new-tasks']);
  });

  it('saves the filters the form shows, applied or not; a filter the service refuses is marked and nothing is saved', async () => {
    const page = await ui.open('/admin/events?event_type=agent.created');
    await page.locator('#results tbody tr').first().waitFor();
    await page.getByLabel('Event type').fill('task.created');
    await page.getByLabel('Order').selectOption('desc');
    await page.getByLabel('Save these filters as').fill('typed-not-applied');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('link', { name: 'typed-not-applied' }).waitFor();
    expect((await get(ui.t.app, '/saved-queries/typed-not-applied')).body.filter).toEqual({ event_type: 'task.created', order: 'desc' });

    ui.page.expectHttpError(422, /^\/saved-queries\/bad-from$/);
    await page.getByLabel('From (inclusive)').fill('not-a-date');
    await page.getByLabel('Save these filters as').fill('bad-from');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toMatch(/^422 [\s\S]*\/filter\/from/);
    expect(await page.getByLabel('From (inclusive)').getAttribute('aria-invalid')).toBe('true');
    expect((await get(ui.t.app, '/saved-queries/bad-from')).status).toBe(404);
    await page.getByLabel('From (inclusive)').fill('');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('link', { name: 'bad-from' }).waitFor();
    expect(await page.getByLabel('From (inclusive)').getAttribute('aria-invalid')).toBe(null);
  });

  it('a saved page size the select does not offer is shown and used, on every page', async () => {
    const saved = await ui.t.app.request('/saved-queries/ten-progressed', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ filter: { event_type: 'task.progressed', limit: 10 } }) });
    expect(saved.status).toBe(201);
    const page = await ui.open('/admin/events');
    await page.getByRole('link', { name: 'ten-progressed' }).click();
    await page.waitForURL(/limit=10\b/);
    await expect.poll(() => positionsShown(page)).toEqual(data.progress.slice(0, 10).map((e) => e.position));
    expect(await page.getByLabel('Per page').inputValue()).toBe('10');
    await page.getByRole('button', { name: 'Next →' }).click();
    await expect.poll(() => positionsShown(page)).toEqual(data.progress.slice(10, 20).map((e) => e.position));
    expect(new URL(page.url()).searchParams.get('limit')).toBe('10');
  });

  it('a name the service refuses shows its problem', async () => {
    const page = await ui.open('/admin/events');
    ui.page.expectHttpError(400, /^\/saved-queries\/.+$/);
    await page.getByLabel('Save these filters as').fill('x'.repeat(70));
    // The field's own pattern is bypassed, as a script or an old page would.
    await page.evaluate("document.getElementById('f-saved-name').removeAttribute('pattern')");
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toMatch(/400 Malformed request[\s\S]*\/name/);
  });
});
