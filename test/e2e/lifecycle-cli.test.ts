import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempArchive, waitPublished } from '../support/archive.ts';
import { newId, postJson } from '../support/http.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { runCli as runCommand } from '../../src/cli/commands.ts';
import { runCli } from '../support/cli.ts';

let t: TestService;
let archive: Awaited<ReturnType<typeof tempArchive>>;
let url: string;
beforeAll(async () => {
  archive = await tempArchive();
  t = await startTestService({ ARCHIVE_URL: archive.url, ARCHIVE_INTERVAL: '0', PORT: '0' });
  url = `http://127.0.0.1:${(await t.service.listen()).port}`;
});
afterAll(async () => {
  await t.close();
  await archive.remove();
});

describe('events-service retention and archive', () => {
  it('sets, gets, lists and deletes policies, and runs the archiver with and without --dry-run', async () => {
    const res = await postJson(t.app, '/events/batch', { events: Array.from({ length: 12 }, () => ({ event_type: 'crate.noted', aggregate_id: newId() })) });
    await waitPublished(t, res.body.events[11].position);
    const set = await runCli(['retention', 'set', 'crate', '--archive_after', 'PT0S', '--delete_after', 'never', '--url', url]);
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ aggregate_type: 'crate', archive_after: 'PT0S', delete_after: null });
    expect(JSON.parse((await runCli(['retention', 'list', '--url', url])).stdout).policies).toHaveLength(1);

    const dry = await runCli(['archive', '--dry-run', '--url', url]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ status: 'succeeded', dry_run: true, planned: 12, archived: 0 });
    expect(dry.stderr).toBe('');
    const real = await runCli(['archive', '--url', url]);
    expect(real.code, real.stderr).toBe(0);
    expect(JSON.parse(real.stdout)).toMatchObject({ status: 'succeeded', archived: 12, segments: 1 });

    const got = JSON.parse((await runCli(['retention', 'get', 'crate', '--url', url])).stdout);
    expect(got.tiers.archive).toMatchObject({ events: 12, segments: 1 });
    const removed = await runCli(['retention', 'delete', 'crate', '--url', url]);
    expect(removed.code).toBe(0);
    expect(JSON.parse((await runCli(['retention', 'get', 'crate', '--url', url])).stdout)).toMatchObject({ archive_after: null, updated_at: null });
  });

  it('refuses bad usage (exit 2) and reports what the service refused (exit 1)', async () => {
    // Usage is checked before anything is sent: in this process, without spawning the command line.
    for (const args of [['retention'], ['retention', 'frob'], ['retention', 'get'], ['retention', 'get', 'x', '--archive_after', 'P1D'], ['archive', '--dry_run']]) {
      expect(await runCommand([...args, '--url', url]), args.join(' ')).toBe(2);
    }
    const bad = await runCli(['retention', 'set', 'crate', '--archive_after', 'thirty days', '--url', url]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('answered 422 (Validation failed)');
    expect(bad.stderr).toMatch(/\n  \/archive_after: /);
  });
});
