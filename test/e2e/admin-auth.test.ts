import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { screenshot } from '../support/browser.ts';
import { seedConsoleData } from '../support/console-data.ts';
import { consoleHarness } from '../support/console-harness.ts';
import { startTestService } from '../support/service.ts';

const READ_KEY = 'console-read-key-1';
const ADMIN_KEY = 'console-admin-key-2';

const ui = consoleHarness(() => startTestService({ API_KEYS: `${READ_KEY}:read,${ADMIN_KEY}:admin` }));
let data: Awaited<ReturnType<typeof seedConsoleData>>;
let apiCalls: string[] = [];
beforeAll(async () => {
  data = await seedConsoleData(ui.t, { authorization: `Bearer ${ADMIN_KEY}` });
});

/** Opens a page and records every call it makes outside the console's own files and the open API description. */
const open = (path: string) => ui.open(path, {
  before: (page) => {
    apiCalls = [];
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (!/^\/admin(\/|$)/.test(url.pathname) && url.pathname !== '/openapi.json') apiCalls.push(`${r.method()} ${url.pathname}`);
    });
  },
});

async function enterKey(page: Page, key: string) {
  const input = page.getByLabel('Key', { exact: true });
  await input.waitFor();
  await input.fill(key);
  await input.press('Enter');
}

describe('admin console with API keys', () => {
  it('asks for a key first and shows no event data, nor asks for any, before it has one', async () => {
    const page = await open(`/admin/events?aggregate_id=${data.busyTask}`);
    await page.getByRole('dialog', { name: 'API key' }).waitFor();
    await page.getByRole('heading', { name: 'An API key is needed' }).waitFor();
    expect(apiCalls).toEqual([]);
    expect(await page.locator('body').innerText()).not.toContain('task.progressed');
    await screenshot(page, 'key');
    await enterKey(page, READ_KEY);
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    await expect.poll(() => page.locator('#results tbody tr').count()).toBe(50);
    expect(await page.locator('#key-status').innerText()).toContain('Key key1 (no admin scope)');
  });

  it('refuses a wrong key inside the dialog, showing the problem, and still shows no data', async () => {
    const page = await open('/admin/events');
    ui.page.expectHttpError(401, /^\/auth\/key$/);
    await enterKey(page, 'not-a-key');
    const alert = page.getByRole('dialog').getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toMatch(/401 Unauthorized[\s\S]*not valid/);
    expect(await page.getByRole('dialog').isVisible()).toBe(true);
    expect(await page.locator('main').innerText()).not.toContain('task.progressed');
  });

  it('a new key the service refuses does not replace the one in use: the dialog says so, and the data stays readable', async () => {
    const page = await open('/admin/events');
    await enterKey(page, ADMIN_KEY);
    await expect.poll(() => page.locator('#results tbody tr').count()).toBe(50);
    ui.page.expectHttpError(401, /^\/auth\/key$/);
    await page.getByRole('button', { name: 'Change key' }).click();
    await enterKey(page, `${ADMIN_KEY}x`);
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('alert').waitFor();
    expect(await dialog.innerText()).toMatch(/refused this key; the console keeps the key it had[\s\S]*401 Unauthorized/);
    expect(await page.evaluate("sessionStorage.getItem('event-service.admin.key')")).toBe(ADMIN_KEY);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await page.locator('#key-status').innerText()).toMatch(/^Key key2\b/);
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.waitForURL(/after=\d+/);
    await expect.poll(() => page.locator('#results tbody tr').count()).toBe(data.events.length - 50);
    expect(await dialog.isVisible()).toBe(false);
  });

  it('Escape closes the dialog without a key; the keyboard reopens it and enters one', async () => {
    const page = await open('/admin');
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    expect(apiCalls).toEqual([]);
    const button = page.getByRole('button', { name: 'Enter API key' });
    await button.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    await page.keyboard.type(READ_KEY);
    await page.keyboard.press('Enter');
    await page.locator('#panel-health dd').first().waitFor();
  });

  it('a read key browses, and the console disables replays and saved-query changes before any is refused', async () => {
    const page = await open('/admin/replays');
    await enterKey(page, READ_KEY);
    await page.getByRole('heading', { name: 'Recent replays' }).waitFor();
    expect(await page.getByRole('button', { name: 'Preview' }).isDisabled()).toBe(true);
    expect(await page.locator('.note').innerText()).toContain('needs an admin key');
    expect(await page.locator('#key-status').innerText()).toContain('no admin scope');
    await page.getByRole('link', { name: 'Events' }).click();
    await page.getByRole('heading', { name: 'Saved queries' }).waitFor();
    expect(await page.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
    expect(apiCalls.filter((c) => !c.startsWith('GET '))).toEqual([]);
    expect(apiCalls).toContain('GET /auth/key');
  });

  it('a 403 still teaches the console when a key lost its admin scope meanwhile', async () => {
    const page = await open('/admin/replays');
    await enterKey(page, ADMIN_KEY);
    await page.getByRole('heading', { name: 'Recent replays' }).waitFor();
    // As if the key had been admin when the console asked, and no longer is.
    await page.evaluate(`sessionStorage.setItem('event-service.admin.key', ${JSON.stringify(READ_KEY)})`);
    ui.page.expectHttpError(403, /^\/replays$/);
    await page.getByLabel('Aggregate id').fill(data.agent);
    await page.getByRole('button', { name: 'Preview' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toMatch(/403 Forbidden[\s\S]*lacks the admin scope/);
    expect(await page.getByRole('button', { name: 'Preview' }).isDisabled()).toBe(true);
    expect(await page.locator('#key-status').innerText()).toContain('no admin scope');
  });

  it('an admin key starts a replay', async () => {
    const page = await open('/admin/replays');
    await enterKey(page, ADMIN_KEY);
    await page.getByLabel('Aggregate id').fill(data.agent);
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('button', { name: 'Start replay of 3 events' }).click();
    await page.locator('#replay-status', { hasText: 'completed' }).waitFor({ timeout: 15_000 });
  });
});
