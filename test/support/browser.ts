import { existsSync, mkdirSync } from 'node:fs';
import { serve, type ServerType } from '@hono/node-server';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium (`apt-get install -y chromium`); CHROMIUM_PATH overrides. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/**
 * One headless chromium per test file. Playwright's launch() gives every browser a fresh
 * temporary user-data dir (removed when it closes), and each test a fresh context.
 */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`no chromium at ${chromiumPath}: install it with "apt-get update && apt-get install -y chromium" (as .ci/run does), or set CHROMIUM_PATH`);
  }
  return chromium.launch({ executablePath: chromiumPath, args: ARGS, headless: true });
}

/** The app behind a real HTTP server on a free port of 127.0.0.1. */
export function serveApp(app: { fetch: (request: Request) => Response | Promise<Response> }): Promise<{ url: string; close(): Promise<void> }> {
  return new Promise((resolve) => {
    const server: ServerType = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () => new Promise<void>((done) => {
          if ('closeAllConnections' in server) server.closeAllConnections();
          server.close(() => done());
        }),
      });
    });
  });
}

export interface ConsolePage {
  page: Page;
  context: BrowserContext;
  /**
   * Lets the browser's own report of an HTTP error answer through (Chromium logs "Failed to
   * load resource" as a console error) for a status and path the test provokes on purpose.
   */
  expectHttpError(status: number, path: RegExp): void;
  /** Console errors, page errors, unexpected HTTP error reports and requests that left 127.0.0.1. */
  problems(): string[];
  close(): Promise<void>;
}

/**
 * A fresh context and page. Every request is routed: any that would leave 127.0.0.1 is
 * aborted and recorded, and a test fails on it, as on any console error. `key`: the API key
 * the console holds from the start, as if entered earlier in the session.
 */
export async function openConsolePage(browser: Browser, options: { width?: number; height?: number; key?: string } = {}): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: options.height ?? 900 } });
  if (options.key !== undefined) await context.addInitScript(`sessionStorage.setItem('event-service.admin.key', ${JSON.stringify(options.key)})`);
  const found: string[] = [];
  const allowed: { status: number; path: RegExp }[] = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1') return route.continue();
    found.push(`request left 127.0.0.1: ${url.href}`);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.on('pageerror', (error) => found.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    const status = Number(/status of (\d{3})/.exec(text)?.[1]);
    const path = message.location().url ? new URL(message.location().url).pathname : '';
    if (text.startsWith('Failed to load resource') && allowed.some((a) => a.status === status && a.path.test(path))) return;
    found.push(`console error: ${text} (${message.location().url})`);
  });
  return {
    page,
    context,
    expectHttpError: (status, path) => void allowed.push({ status, path }),
    problems: () => [...found],
    close: () => context.close(),
  };
}

/**
 * Holds the page's requests of one method until the returned function is called: gestures a
 * test repeats land while the first request is still in flight, however loaded the machine.
 */
export async function holdRequests(page: Page, method: string): Promise<() => void> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/*', async (route) => {
    if (route.request().method() === method) await released;
    await route.fallback(); // on to the context's route, which keeps requests on 127.0.0.1
  });
  return release;
}

// Evaluated in the page (strings: the server's tsconfig has no DOM types).
const SIDEWAYS = 'document.documentElement.scrollWidth > document.documentElement.clientWidth';

/** Whether the page scrolls sideways (its content is wider than the viewport). */
export const overflowsHorizontally = async (page: Page) => (await page.evaluate(SIDEWAYS)) === true;

/** With SCREENSHOTS=1, saves the page as docs/screenshots/<name>.png (see docs/screenshots/README.md). */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.SCREENSHOTS !== '1') return;
  mkdirSync('docs/screenshots', { recursive: true });
  await page.screenshot({ path: `docs/screenshots/${name}.png`, fullPage: true });
}
