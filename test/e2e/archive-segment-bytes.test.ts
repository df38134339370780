import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveNow, putPolicy, tempArchive, waitPublished } from '../support/archive.ts';
import { get, newId, postJson } from '../support/http.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { eventTexts } from '../support/tiered-seed.ts';

// ARCHIVE_SEGMENT_MB: a run holds a whole segment in memory while it writes it, so large events
// end a segment by its bytes long before ARCHIVE_SEGMENT_EVENTS; a dry run counts them so too.

describe('archive segments bounded in bytes', () => {
  let t: TestService;
  let archive: Awaited<ReturnType<typeof tempArchive>>;
  const texts: string[] = [];
  beforeAll(async () => {
    archive = await tempArchive();
    t = await startTestService({ ARCHIVE_URL: archive.url, ARCHIVE_INTERVAL: '0', ARCHIVE_SEGMENT_MB: '1' });
    const aggregates = [newId(), newId()];
    // Events of about 300 KB: three fit in a segment of 1 MiB, a fourth would not.
    for (let k = 0; k < 10; k++) {
      const res = await postJson(t.app, '/events', { event_type: 'scan.stored', aggregate_id: aggregates[k % 2], payload: { k, data: 'z'.repeat(300_000) } });
      expect(res.status).toBe(201);
      texts.push(res.text);
    }
    await waitPublished(t, JSON.parse(texts[texts.length - 1]!).position);
    await putPolicy(t.app, 'scan', { archive_after: 'PT0S' });
  });
  afterAll(async () => {
    await t.close();
    await archive.remove();
  });

  it('ends a segment before the event that would take it past ARCHIVE_SEGMENT_MB, and reads every event back', async () => {
    const dry = await archiveNow(t.app, { dry_run: true });
    expect(dry.plan).toMatchObject([{ aggregate_type: 'scan', archive: { events: 10, segments: 4 } }]);
    const run = await archiveNow(t.app);
    expect(run).toMatchObject({ status: 'succeeded', archived: 10, segments: 4 });
    const { segments } = (await get(t.app, '/archive/segments?aggregate_type=scan')).body;
    expect(segments.map((s: { events: number }) => s.events)).toEqual([3, 3, 3, 1]);
    expect(Number((await t.sql`select count(*) as n from events where aggregate_type = 'scan'`)[0]!.n)).toBe(0);

    const read: string[] = [];
    let after = 0;
    for (;;) {
      const page = await get(t.app, `/events?aggregate_type=scan&after=${after}`);
      expect(page.status).toBe(200);
      read.push(...eventTexts(page.text));
      if (page.body.next_after === null) break;
      after = page.body.next_after;
    }
    expect(read).toEqual(texts);
  });
});
