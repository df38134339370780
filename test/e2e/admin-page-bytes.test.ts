import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { consoleHarness } from '../support/console-harness.ts';
import { newId, postJson } from '../support/http.ts';
import { startTestService } from '../support/service.ts';

// Pages that end at the service's byte budget (MAX_PAGE_BYTES, ADR 37) hold fewer events than the
// console's limit: paging back must still land on the page just before, not on the first.
const ui = consoleHarness(() => startTestService({ MAX_PAGE_BYTES: '3000' }));
let positions: number[] = [];
beforeAll(async () => {
  const events = Array.from({ length: 40 }, (_, k) => ({ event_type: 'note.written', aggregate_id: newId(), payload: { k, text: 'x'.repeat(300) } }));
  const res = await postJson(ui.t.app, '/events/batch', { events });
  expect(res.status).toBe(201);
  positions = (res.body.events as { position: number }[]).map((e) => e.position);
});

const positionsShown = (page: Page) => page.locator('#results tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-position'))));

describe('admin console: pages cut by the byte budget', () => {
  it('pages forwards and back through short pages in both orders', async () => {
    for (const order of ['asc', 'desc'] as const) {
      const all = order === 'asc' ? positions : [...positions].reverse();
      const page = await ui.open(`/admin/events?event_type=note.written&limit=25${order === 'desc' ? '&order=desc' : ''}`);
      const next = page.getByRole('button', { name: 'Next →' });
      const prev = page.getByRole('button', { name: '← Previous' });
      await expect.poll(async () => (await positionsShown(page)).length).toBeGreaterThan(0);
      const first = await positionsShown(page);
      expect(first.length).toBeLessThan(25);
      expect(first).toEqual(all.slice(0, first.length));
      await next.click();
      await expect.poll(async () => (await positionsShown(page))[0]).toBe(all[first.length]);
      const second = await positionsShown(page);
      expect(second).toEqual(all.slice(first.length, first.length + second.length));
      await next.click();
      await expect.poll(async () => (await positionsShown(page))[0]).toBe(all[first.length + second.length]);
      await prev.click();
      // The events just before the third page: the second page's, not the first's.
      await expect.poll(async () => (await positionsShown(page)).at(-1)).toBe(second.at(-1));
      const back = await positionsShown(page);
      expect(back[0]).not.toBe(all[0]);
      expect(back).toEqual(all.slice(all.indexOf(back[0]!), all.indexOf(back[0]!) + back.length));
      await ui.closePage();
    }
  });
});
