import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'vitest';
import { get, postJson } from './http.ts';
import type { TestService } from './service.ts';
import { waitUntil } from './wait.ts';

type App = TestService['app'];

/** A temporary archive directory and the service settings that point at it; `remove()` deletes it. */
export async function tempArchive() {
  const dir = await mkdtemp(join(tmpdir(), 'evt-archive-'));
  return { dir, url: pathToFileURL(dir).href, remove: () => rm(dir, { recursive: true, force: true }) };
}

export async function putPolicy(app: App, type: string, policy: Record<string, unknown>) {
  const res = await app.request(`/retention/${type}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(policy) });
  expect([200, 201], await res.clone().text()).toContain(res.status);
}

/** Starts a run over HTTP and waits until it has finished; returns the run resource. */
export async function archiveNow(app: App, body: Record<string, unknown> = {}, timeoutMs = 30_000) {
  const started = await postJson(app, '/archive/runs', body);
  expect(started.status, started.text).toBe(202);
  let run: any;
  const done = await waitUntil(async () => {
    run = (await get(app, started.headers.get('location')!)).body;
    return run.status !== 'running';
  }, timeoutMs, 50);
  expect(done, 'the archive run did not finish').toBe(true);
  return run;
}

/** Waits until every publisher has published up to `position` (nothing above it may leave PostgreSQL). */
export async function waitPublished(t: TestService, position: number) {
  const ok = await waitUntil(async () => Number((await t.sql`select events_published_position() as p`)[0]!.p) >= position, 10_000, 20);
  expect(ok, `not published up to ${position}`).toBe(true);
}
