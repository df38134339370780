import { existsSync } from 'node:fs';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

// Debian's chromium, driven by playwright-core (no browser download works here). Every request
// that would leave 127.0.0.1 is blocked and recorded; console errors and uncaught page errors
// are recorded too. A test fails on either.

const EXECUTABLE = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface TestBrowser {
  newPage(): Promise<Page>;
  /** URLs the pages tried to load from anywhere but 127.0.0.1 (each was refused). */
  offsite: string[];
  /** console.error messages and uncaught errors of every page. */
  consoleErrors: string[];
  close(): Promise<void>;
}

async function blockOffsite(context: BrowserContext, offsite: string[]) {
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1') return route.continue();
    offsite.push(url.href);
    return route.abort('blockedbyclient');
  });
}

export async function launchBrowser(): Promise<TestBrowser> {
  if (!existsSync(EXECUTABLE)) throw new Error(`No browser at ${EXECUTABLE}: install Debian's with "apt-get update && apt-get install -y chromium", or set CHROMIUM_PATH.`);
  const browser = await chromium.launch({ executablePath: EXECUTABLE, args: ARGS });
  const context = await browser.newContext();
  const offsite: string[] = [];
  const consoleErrors: string[] = [];
  await blockOffsite(context, offsite);
  return {
    offsite,
    consoleErrors,
    async newPage() {
      const page = await context.newPage();
      page.on('console', (message) => {
        if (message.type() === 'error') consoleErrors.push(`${message.text()} (${message.location().url})`);
      });
      page.on('pageerror', (error) => consoleErrors.push(String(error)));
      return page;
    },
    close: () => browser.close(),
  };
}
