import { beforeAll, describe, expect, it } from 'vitest';
import { screenshot } from '../support/browser.ts';
import { seedConsoleData } from '../support/console-data.ts';
import { consoleHarness } from '../support/console-harness.ts';
import { startTestService } from '../support/service.ts';

// Small, slow replay batches: a replay of 60 events runs long enough to be cancelled.
const ui = consoleHarness(() => startTestService({ REPLAY_BATCH_SIZE: '5', REPLAY_PAUSE_MS: '500' }));
let data: Awaited<ReturnType<typeof seedConsoleData>>;
beforeAll(async () => {
  data = await seedConsoleData(ui.t);
});

describe('admin console: replays', () => {
  it('previews the count before starting, then follows the replay to completion', async () => {
    const page = await ui.open('/admin/replays');
    await page.getByLabel('Aggregate id').fill(data.agent);
    await page.getByLabel('Channel (optional)').fill('replay:console-test');
    await page.getByRole('button', { name: 'Preview' }).click();
    const agentEvents = data.events.filter((e) => e.aggregate_id === data.agent);
    const head = data.events.at(-1)!.position;
    await page.locator('#replay-preview', { hasText: `${agentEvents.length} events match, up to position ${head}.` }).waitFor();
    expect(Number((await ui.t.sql`select count(*) as n from replays`)[0]!.n)).toBe(0);
    await screenshot(page, 'replay-preview');
    // A changed form needs a new preview.
    await page.getByLabel('Event type').fill('agent.renamed');
    expect(await page.locator('#replay-preview').innerText()).toBe('');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('button', { name: 'Start replay of 1 event' }).click();
    await page.waitForURL(/\/admin\/replays\/[0-9a-f-]{36}$/);
    await page.locator('#replay-status', { hasText: 'completed' }).waitFor({ timeout: 15_000 });
    expect(await page.locator('main').innerText()).toContain('1 events published');
    const [value, max] = await page.locator('#replay-progress').evaluate((p) => [p.getAttribute('value'), p.getAttribute('max')]);
    expect(Number(value)).toBeGreaterThan(0);
    expect(value).toBe(max);
    const filter = JSON.parse((await page.locator('.facts code').innerText()));
    expect(filter).toEqual({ aggregate_id: data.agent, event_type: 'agent.renamed' });
    await screenshot(page, 'replay');
  });

  it('lists every replay newest first with its progress; the status filter is in the URL through a reload; cancel', async () => {
    const page = await ui.open('/admin/replays');
    await page.getByLabel('Aggregate id').fill(data.busyTask);
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('button', { name: 'Start replay of 60 events' }).click();
    await page.locator('#replay-status', { hasText: 'running' }).waitFor();
    const id = new URL(page.url()).pathname.split('/').pop()!;
    await page.getByRole('link', { name: 'Replays' }).click();
    const row = page.locator(`#replay-list tr[data-id="${id}"]`);
    await row.waitFor();
    expect(await page.locator('#replay-list tbody tr').first().getAttribute('data-id')).toBe(id);
    expect(await row.innerText()).toContain('running');
    // Progress moves on the list while it runs.
    const progress = () => row.locator('progress').evaluate((p) => Number(p.getAttribute('value')));
    const first = await progress();
    await expect.poll(progress, { timeout: 10_000 }).toBeGreaterThan(first);
    await screenshot(page, 'replays');

    await row.getByRole('link', { name: `…${id.slice(-8)}` }).click();
    await page.getByRole('button', { name: 'Cancel replay' }).click();
    await page.locator('#replay-status', { hasText: 'cancelled' }).waitFor();
    expect(await page.getByRole('button', { name: 'Cancel replay' }).isHidden()).toBe(true);

    await page.getByRole('link', { name: 'Replays' }).click();
    await page.getByLabel('Status').selectOption('cancelled');
    await page.waitForURL(/\?status=cancelled$/);
    await page.reload();
    await page.locator(`#replay-list tr[data-id="${id}"]`).waitFor();
    expect(await page.getByLabel('Status').inputValue()).toBe('cancelled');
    expect(await page.locator('#replay-list tbody tr').allInnerTexts()).toEqual([expect.stringContaining('cancelled')]);
    await page.getByLabel('Status').selectOption('running');
    await page.getByText('None.').waitFor();
  });

  it('the status filter keeps the keyboard: each arrow key filters the list, and focus stays on the select', async () => {
    const page = await ui.open('/admin/replays');
    const focused = () => page.evaluate('document.activeElement.id');
    await page.getByLabel('Status').focus();
    await page.keyboard.press('ArrowDown');
    await page.waitForURL(/\?status=running$/);
    await expect.poll(focused).toBe('f-status');
    await page.keyboard.press('ArrowDown');
    await page.waitForURL(/\?status=completed$/);
    await expect.poll(focused).toBe('f-status');
    expect(await page.getByLabel('Status').inputValue()).toBe('completed');
  });

  it('a double click on Start starts one replay, and on Cancel sends one cancel', async () => {
    const page = await ui.open('/admin/replays');
    const sent: string[] = [];
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (r.method() !== 'GET' && path.startsWith('/replays')) sent.push(`${r.method()} ${path.replace(/[0-9a-f-]{36}$/, '{id}')}${r.postData()?.includes('"dry_run":true') ? ' dry run' : ''}`);
    });
    await page.getByLabel('Aggregate id').fill(data.busyTask);
    await page.getByLabel('Channel (optional)').fill('replay:double-click');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('button', { name: 'Start replay of 60 events' }).dblclick();
    await page.locator('#replay-status', { hasText: 'running' }).waitFor();
    await page.getByRole('button', { name: 'Cancel replay' }).dblclick();
    await page.locator('#replay-status', { hasText: 'cancelled' }).waitFor();
    expect(sent).toEqual(['POST /replays dry run', 'POST /replays', 'DELETE /replays/{id}']);
    expect(Number((await ui.t.sql`select count(*) as n from replays where channel = 'replay:double-click'`)[0]!.n)).toBe(1);
  });
});
