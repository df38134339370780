import { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { parkedStreamKey } from '../../src/events/stream-keys.ts';
import { tempArchive, waitPublished } from '../support/archive.ts';
import { openConsolePage, overflowsHorizontally, screenshot } from '../support/browser.ts';
import { seedConsoleData } from '../support/console-data.ts';
import { consoleHarness } from '../support/console-harness.ts';
import { record, startConsumer } from '../support/consume.ts';
import { testRedisUrl } from '../support/env.ts';
import { startTestService } from '../support/service.ts';
import { deleteKeys } from '../support/streams.ts';
import { waitUntil } from '../support/wait.ts';

const READ_KEY = 'lifecycle-read-key-1';
const ADMIN_KEY = 'lifecycle-admin-key-2';
const admin = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };

let archive: Awaited<ReturnType<typeof tempArchive>> | undefined;
// Segments of one event, so a handful of them pages; no schedule: runs happen when a test asks.
const ui = consoleHarness(async () => {
  archive = await tempArchive();
  return startTestService({ API_KEYS: `${READ_KEY}:read,${ADMIN_KEY}:admin`, ARCHIVE_URL: archive.url, ARCHIVE_INTERVAL: '0', ARCHIVE_SEGMENT_EVENTS: '1', REDIS_STREAMS: 'on' });
}, {
  afterClose: async (t) => {
    if (t) await deleteKeys(t.channelPrefix);
    await archive?.remove();
  },
});

async function call(method: string, path: string, body?: unknown) {
  const res = await ui.t.app.request(path, { method, headers: admin, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (res.status === 204 ? null : await res.json()) as any };
}

async function archiveNow() {
  const started = await call('POST', '/archive/runs', {});
  expect(started.status).toBe(202);
  expect(await waitUntil(async () => (await call('GET', `/archive/runs/${started.body.id}`)).body.status === 'succeeded', 15_000, 50)).toBe(true);
}

beforeAll(async () => {
  const data = await seedConsoleData(ui.t, { authorization: `Bearer ${ADMIN_KEY}` });
  await waitPublished(ui.t, data.events.at(-1)!.position);
  expect((await call('PUT', '/retention/agent', { archive_after: 'PT0S' })).status).toBe(201);
  expect((await call('PUT', '/retention/plan', { archive_after: 'P30D', delete_after: 'P1Y' })).status).toBe(201);
  await archiveNow();
  // A consumer group with one parked event: task.assigned always fails.
  const c = await startConsumer(ui.t, {
    redisUrl: testRedisUrl, group: 'billing', consumer: 'w1', start: 'beginning', maxAttempts: 2, retryDelay: { initialMs: 20 },
    handler: (e) => {
      if (e.event_type === 'task.assigned') throw new Error('no price for this task');
    },
  }, record());
  expect(await waitUntil(() => c.stats().parked === 1, 10_000)).toBe(true);
  await c.stop();
});

const open = (path: string, key = ADMIN_KEY, width = 1280) => ui.open(path, { width, key, before: (page) => page.setDefaultTimeout(8000) });

describe('admin console: retention and archive', () => {
  it('shows the policies with their tiers and the segments, paged by keyset, the filter and cursor in the URL through a reload', async () => {
    const page = await open('/admin/retention?type=agent&segments_limit=2');
    const agentRow = page.locator('#policies tr[data-type="agent"]');
    await agentRow.waitFor();
    expect((await agentRow.innerText()).split('\t').slice(0, 6)).toEqual(['agent', 'PT0S', 'never', '0', expect.stringMatching(/^~/), '4']);
    expect(await page.locator('#policies tr[data-type="plan"]').innerText()).toMatch(/^plan\tP30D\tP1Y\t1\t/);
    expect(await page.locator('#type-tiers').innerText()).toMatch(/Archived events\s+4/);
    const ids = () => page.locator('#segment-list tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-id'))));
    await page.locator('#segment-list tbody tr').first().waitFor();
    const first = await ids();
    expect(first).toHaveLength(2);
    await screenshot(page, 'retention');
    await page.getByRole('link', { name: 'Next page' }).click();
    await page.waitForURL(/segments_after=\d+/);
    await expect.poll(async () => {
      const shown = await ids();
      return shown.length === 2 && shown[0] !== first[0];
    }).toBe(true);
    const second = await ids();
    expect(second).toHaveLength(2);
    expect(Math.min(...second)).toBeGreaterThan(first[1]!);
    await page.reload();
    await expect.poll(ids).toEqual(second);
    await page.getByLabel('Segments of type').fill('plan');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL((url) => url.searchParams.get('segments_type') === 'plan' && !url.searchParams.has('segments_after'));
    await page.getByText('No segment archived yet.').waitFor();
  });

  it('an admin sets a policy, which the service stores; previews a run, then starts it and follows it; a double click sends one request', async () => {
    const page = await open('/admin/retention');
    const sent: string[] = [];
    page.on('request', (r) => {
      if (r.method() !== 'GET') sent.push(`${r.method()} ${new URL(r.url()).pathname}${r.postData()?.includes('"dry_run":true') ? ' dry run' : ''}`);
    });
    await page.getByLabel('Aggregate type').fill('plan');
    ui.page.expectHttpError(422, /^\/retention\/plan$/);
    await page.getByLabel('Archive after').fill('soon');
    await page.getByRole('button', { name: 'Save policy' }).click();
    expect(await page.getByRole('alert').innerText()).toMatch(/^422 [\s\S]*\/archive_after/);
    expect(await page.getByLabel('Archive after').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('Archive after').fill('pt0s');
    await page.getByLabel('Delete after').fill('');
    await page.getByRole('button', { name: 'Save policy' }).dblclick();
    await page.locator('#policy-status', { hasText: 'Policy for plan saved.' }).waitFor();
    expect(await page.getByLabel('Archive after').getAttribute('aria-invalid')).toBe(null);
    expect((await call('GET', '/retention/plan')).body).toMatchObject({ aggregate_type: 'plan', archive_after: 'PT0S', delete_after: null });
    await page.locator('#policies tr[data-type="plan"]', { hasText: 'PT0S' }).waitFor();
    expect(new URL(page.url()).searchParams.get('type')).toBe('plan');

    await page.getByRole('button', { name: 'Preview a run' }).dblclick();
    const plan = page.locator('#run-preview #run-plan');
    await plan.waitFor();
    await page.locator('#archive-runs tbody tr', { hasText: 'dry run' }).waitFor();
    expect(await page.locator('#run-preview').innerText()).toContain('Would archive 1 event into 1 segment and delete 0 events.');
    expect((await call('GET', '/retention/plan')).body.tiers.archive.events).toBe(0);
    await screenshot(page, 'retention-preview');
    await page.getByRole('button', { name: 'Start archive run' }).dblclick();
    await page.waitForURL(/\/admin\/retention\/runs\/[0-9a-f-]{36}$/);
    await page.locator('#run-status', { hasText: 'succeeded' }).waitFor({ timeout: 15_000 });
    expect(sent).toEqual(['PUT /retention/plan', 'PUT /retention/plan', 'POST /archive/runs dry run', 'POST /archive/runs']);
    expect(await page.locator('main').innerText()).toContain('Archived 1 event into 1 segment');
    expect((await call('GET', '/retention/plan')).body.tiers.archive.events).toBe(1);
  });

  it('Remove policy removes a stored policy, and says so when the type had none', async () => {
    expect((await call('PUT', '/retention/memo', { archive_after: 'P1D' })).status).toBe(201);
    const page = await open('/admin/retention?type=memo');
    const row = page.locator('#policies tr[data-type="memo"]');
    await row.waitFor();
    await page.getByRole('button', { name: 'Remove policy' }).click();
    await page.locator('#policy-status', { hasText: 'Policy for memo removed: its events are kept forever.' }).waitFor();
    await row.waitFor({ state: 'detached' });
    expect((await call('GET', '/retention/memo')).body.updated_at).toBe(null);
    await page.getByRole('button', { name: 'Remove policy' }).click();
    await page.locator('#policy-status', { hasText: 'No policy for memo to remove: its events were already kept forever.' }).waitFor();
    await page.getByLabel('Aggregate type').fill('nosuchtype');
    await page.getByRole('button', { name: 'Remove policy' }).click();
    await page.locator('#policy-status', { hasText: 'No policy for nosuchtype to remove' }).waitFor();
  });

  it('a read key sees policies and runs, with every managing action disabled and a note saying why', async () => {
    const page = await open('/admin/retention', READ_KEY);
    await page.locator('#policies tr[data-type="agent"]').waitFor();
    await page.getByRole('note').first().waitFor();
    expect(await page.getByRole('note').first().innerText()).toContain('lacks the admin scope');
    expect(await page.getByRole('button', { name: 'Save policy' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Remove policy' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Preview a run' }).isDisabled()).toBe(true);
    await page.locator('#archive-runs tbody tr').first().waitFor();
  });

  it('the overview sums the tiers, shows the last run and the consumer groups, linking to the parked events; it and the view fit 390 px', async () => {
    const page = await open('/admin', ADMIN_KEY);
    const group = page.locator('#consumer-groups tr[data-group="task/billing"]');
    await group.waitFor();
    expect((await group.innerText()).split('\t')).toEqual(['task', 'billing', '0', '0', '0', '–', '1', expect.stringMatching(/^\d+$/)]);
    const cards = page.locator('#lifecycle-cards');
    await cards.waitFor();
    const text = await cards.innerText();
    expect(text).toMatch(/Policies\s+2/);
    expect(text).toMatch(/Archived events\s+5/);
    expect(text).toMatch(/Last run\s+succeeded/);
    await screenshot(page, 'overview-lifecycle');
    await group.getByRole('link', { name: '1 parked in billing on task' }).click();
    await page.waitForURL(/\/admin\/consumer-groups\/task\/billing\/parked$/);
    expect(await page.locator('#parked tbody tr').innerText()).toContain('no price for this task');
    const reader = await openConsolePage(ui.browser, { key: READ_KEY });
    await reader.page.goto(`${ui.url}/admin/consumer-groups/task/billing/parked`);
    await reader.page.locator('#parked').waitFor();
    expect(await reader.page.getByRole('button', { name: 'Replay' }).isDisabled()).toBe(true);
    const readerProblems = reader.problems();
    await reader.close();
    expect(readerProblems).toEqual([]);
    const replays: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST') replays.push(new URL(r.url()).pathname);
    });
    await page.getByRole('button', { name: 'Replay' }).dblclick();
    await page.locator('p.empty').waitFor();
    expect(replays).toEqual(['/consumer-groups/task/billing/parked/replay']);
    expect((await call('GET', '/consumer-groups/task/billing/parked')).body.parked).toEqual([]);

    // Two parked again (as consume() parks them); discarding asks first, and leaves the events in the store.
    const stored = (await call('GET', '/events?aggregate_type=task&limit=2')).body.events as { id: string }[];
    const redis = new Redis(testRedisUrl);
    try {
      for (const e of stored) await redis.xadd(parkedStreamKey(ui.t.channelPrefix, 'task', 'billing'), '*', 'event', JSON.stringify(e), 'error', 'given up', 'attempts', '2', 'consumer', 'w1', 'source', 'stream', 'parked_at', new Date().toISOString());
    } finally {
      redis.disconnect();
    }
    expect(stored).toHaveLength(2);
    await page.reload();
    await page.locator('#parked tbody tr').nth(1).waitFor();
    const dialogs: string[] = [];
    page.once('dialog', (d) => void (dialogs.push(d.message()), d.dismiss()));
    await page.getByRole('button', { name: 'Discard these 2' }).click();
    expect(await waitUntil(async () => dialogs.length === 1)).toBe(true);
    expect(dialogs[0]).toMatch(/^Discard these 2 parked events\? The group will never handle them/);
    expect((await call('GET', '/consumer-groups/task/billing/parked')).body.parked).toHaveLength(2);
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Discard these 2' }).click();
    await page.locator('p.empty').waitFor();
    expect(replays.slice(1)).toEqual(['/consumer-groups/task/billing/parked/discard']);
    expect((await call('GET', '/consumer-groups/task/billing/parked')).body.parked).toEqual([]);
    for (const e of stored) expect((await call('GET', `/events/${e.id}`)).status).toBe(200);

    for (const path of ['/admin', '/admin/retention']) {
      await page.setViewportSize({ width: 390, height: 800 });
      await page.goto(ui.url + path);
      await page.locator(path === '/admin' ? '#consumer-groups' : '#segment-list').waitFor();
      expect({ path, sideways: await overflowsHorizontally(page) }).toEqual({ path, sideways: false });
    }
  });
});
