import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { type ConsolePage, launchBrowser, openConsolePage, serveApp } from './browser.ts';
import type { TestService } from './service.ts';

export interface ConsoleHarness {
  readonly t: TestService;
  readonly browser: Browser;
  /** The app's origin over real HTTP. */
  readonly url: string;
  /** The page open() gave last: expectHttpError(), problems(). */
  readonly page: ConsolePage;
  /** A fresh page at `path` (openConsolePage's options); `before` runs (and is awaited) before it loads, e.g. to watch or route its requests. */
  open(path: string, options?: Parameters<typeof openConsolePage>[1] & { before?: (page: Page) => void | Promise<void> }): Promise<Page>;
  /** Closes the page, failing the test if the console reported a problem; after each test it runs by itself. */
  closePage(): Promise<void>;
}

/**
 * For a file of console tests: the service `start` gives, a headless chromium and the app
 * behind a real HTTP server, closed after the file. Each page open() gives is closed after its
 * test, or when the next is opened, and a problem it reported (a console error, a request that
 * left 127.0.0.1) fails the test. `afterClose` runs once the service has closed (e.g. to remove
 * what it left in Redis).
 */
export function consoleHarness(start: () => Promise<TestService>, options: { afterClose?: (t: TestService | undefined) => Promise<void> } = {}): ConsoleHarness {
  let t: TestService | undefined;
  let browser: Browser | undefined;
  let server: Awaited<ReturnType<typeof serveApp>> | undefined;
  let current: ConsolePage | undefined;
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the console harness is not ready: use it in tests or in a beforeAll after it');
    return value;
  };

  beforeAll(async () => {
    [t, browser] = await Promise.all([start(), launchBrowser()]);
    server = await serveApp(t.app);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await t?.close();
    await options.afterClose?.(t);
  });
  async function closePage() {
    const problems = current?.problems() ?? [];
    await current?.close();
    current = undefined;
    expect(problems).toEqual([]);
  }
  afterEach(closePage);

  return {
    get t() { return ready(t); },
    get browser() { return ready(browser); },
    get url() { return ready(server).url; },
    get page() { return ready(current); },
    async open(path, { before, ...options } = {}) {
      await closePage();
      current = await openConsolePage(ready(browser), options);
      await before?.(current.page);
      await current.page.goto(ready(server).url + path);
      return current.page;
    },
    closePage,
  };
}
