import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import postgres from 'postgres';
import { createDatabase, median, startService } from '../lib.ts';
import { seedEvents } from '../seed.ts';
import type { Suite } from './index.ts';

const TOTAL = Number(process.env.BENCH_CONSOLE_EVENTS ?? 1_000_000);
const ROUNDS = 7;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// Evaluated in the page (strings: the server's tsconfig has no DOM types). Each answers the
// time since navigation start once the view is on screen, else null.
const OVERVIEW_READY = `(() => {
  const bodies = [...document.querySelectorAll('main section.panel .panel-body')];
  const chart = document.querySelector('#stats-chart');
  return bodies.length >= 3 && bodies.every((b) => b.childElementCount > 0) && chart && chart.childElementCount > 0 ? performance.now() : null;
})()`;
const EVENTS_READY = `document.querySelector('#results tbody tr') ? performance.now() : null`;
const STATIC_READY = `document.readyState === 'complete' ? performance.now() : null`;
// Bytes over the wire (headers and compressed bodies) of the console's own files and of its API calls.
const TRANSFERRED = `(() => {
  const all = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
  const sum = (xs) => xs.reduce((n, e) => n + e.transferSize, 0);
  const own = (e) => /^\\/admin(\\/|$)/.test(new URL(e.name).pathname);
  return { assets: sum(all.filter(own)), api: sum(all.filter((e) => !own(e))), files: all.filter(own).length };
})()`;

interface Load { ms: number; api: string[]; assets: number; apiBytes: number; files: number }

/** One first load in a fresh context (empty cache): ms from navigation start until `ready`. */
async function firstLoad(browser: Browser, url: string, ready: string): Promise<Load> {
  // The console's CSP forbids eval, which the readiness checks below are evaluated with.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  const api: string[] = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (!/^\/admin(\/|$)/.test(u.pathname)) api.push(u.pathname + u.search);
  });
  await page.goto(url);
  const ms = Number(await (await page.waitForFunction(ready, undefined, { timeout: 60_000 })).jsonValue());
  const t = await page.evaluate(TRANSFERRED) as { assets: number; api: number; files: number };
  await context.close();
  return { ms, api, assets: t.assets, apiBytes: t.api, files: t.files };
}

/** The same API calls a view made, fetched directly (in parallel, as the page does). */
async function direct(base: string, paths: string[]): Promise<number> {
  const t = performance.now();
  await Promise.all(paths.map(async (p) => {
    const res = await fetch(base + p);
    await res.arrayBuffer();
    if (!res.ok && res.status !== 404) throw new Error(`${p}: ${res.status}`);
  }));
  return performance.now() - t;
}

/**
 * The admin console's first load with TOTAL events stored (seeded with COPY, the stats
 * projection caught up), in headless chromium with an empty cache each time: the overview
 * until every panel shows its data and the chart is drawn, and the event browser until its
 * first page is shown. Baselines from the same rounds: a static file of the same server loaded
 * the same way, and the API calls each view made, fetched directly.
 */
const suite: Suite = {
  name: 'console',
  description: `the admin console's first load at ${TOTAL.toLocaleString()} events, in headless chromium`,
  heavy: true,
  async run(record) {
    if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM_PATH`);
    const url = await createDatabase();
    await seedEvents(url, TOTAL, (line) => console.log(`  seed: ${line}`));
    const service = await startService({ DATABASE_URL: url });
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    while (Number((await sql`select position from projection_checkpoints where name = 'stats'`)[0]!.position) < TOTAL) await new Promise((r) => setTimeout(r, 200));
    await sql.end();
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
    const runs = { static: [] as number[], overview: [] as Load[], events: [] as Load[], overviewDirect: [] as number[], eventsDirect: [] as number[] };
    try {
      for (let round = 0; round <= ROUNDS; round++) {
        const keep = round > 0; // the first round warms caches and plans
        const s = await firstLoad(browser, `${service.url}/admin/assets/app.css`, STATIC_READY);
        const o = await firstLoad(browser, `${service.url}/admin`, OVERVIEW_READY);
        const e = await firstLoad(browser, `${service.url}/admin/events`, EVENTS_READY);
        const od = await direct(service.url, o.api);
        const ed = await direct(service.url, e.api);
        if (!keep) continue;
        runs.static.push(s.ms);
        runs.overview.push(o);
        runs.events.push(e);
        runs.overviewDirect.push(od);
        runs.eventsDirect.push(ed);
      }
    } finally {
      await browser.close();
      await service.stop();
    }
    const m = (xs: number[]) => median(xs);
    const staticMs = m(runs.static);
    const overviewMs = m(runs.overview.map((l) => l.ms));
    const eventsMs = m(runs.events.map((l) => l.ms));
    const o = runs.overview[0]!;
    const e = runs.events[0]!;
    record({ suite: 'console', name: 'static file of the same server, first load (baseline)', value: staticMs, unit: 'ms p50' });
    record({ suite: 'console', name: `overview API calls fetched directly (${o.api.length})`, value: m(runs.overviewDirect), unit: 'ms p50' });
    record({ suite: 'console', name: 'event browser API calls fetched directly', value: m(runs.eventsDirect), unit: 'ms p50', note: e.api.join(' ') });
    record({ suite: 'console', name: `overview, first load until every panel shows data`, value: overviewMs, unit: 'ms p50', baseline: 'static file', ratio: overviewMs / staticMs, note: `${(overviewMs / m(runs.overviewDirect)).toFixed(2)}x its API calls fetched directly` });
    record({ suite: 'console', name: 'event browser, first load until its first page', value: eventsMs, unit: 'ms p50', baseline: 'static file', ratio: eventsMs / staticMs, note: `${(eventsMs / m(runs.eventsDirect)).toFixed(2)}x its API calls fetched directly` });
    record({ suite: 'console', name: `initial page transferred, console files (${o.files})`, value: o.assets / 1024, unit: 'KB', baseline: '150 KB budget', ratio: o.assets / 1024 / 150, note: `plus ${(o.apiBytes / 1024).toFixed(1)} KB of API answers` });
  },
};
export default suite;
