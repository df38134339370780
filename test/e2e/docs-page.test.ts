import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openConsolePage } from '../support/browser.ts';
import { startTestService, type TestService } from '../support/service.ts';

// /docs in a real browser with everything outside 127.0.0.1 blocked: the page must render from
// what the service itself serves.

let t: TestService;
let browser: Browser;
let base: string;
beforeAll(async () => {
  t = await startTestService({ PORT: '0', HOST: '127.0.0.1' });
  base = `http://127.0.0.1:${(await t.service.listen()).port}`;
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

describe('GET /docs', () => {
  it('renders every operation of the document offline, with no console error and no request leaving 127.0.0.1', async () => {
    const document = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, Record<string, { summary: string }>> };
    const summaries = Object.values(document.paths).flatMap((ops) => Object.values(ops).map((op) => op.summary));
    const { page, problems, close } = await openConsolePage(browser);
    try {
      await page.goto(`${base}/docs`);
      await page.getByText('Append one event', { exact: true }).waitFor({ timeout: 20_000 });
      for (const summary of summaries) expect(await page.getByText(summary, { exact: true }).first().isVisible(), summary).toBe(true);

      // An operation opens with its request body schema.
      await page.getByText('Append one event', { exact: true }).click();
      await page.getByText('Request body').first().waitFor({ timeout: 10_000 });
      expect(problems()).toEqual([]);
    } finally {
      await close();
    }
  }, 60_000);
});
