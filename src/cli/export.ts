import { request, type Target, withRetries, writeOut } from './http.ts';
import { createProgress } from './progress.ts';

type Page = { events: { position: number }[]; next_after: number | null };

/** Every matching event as a JSON line, in position order, the next page fetched only once the previous is written. */
export async function exportEvents(t: Target, filters: Record<string, string | undefined>, retries: number): Promise<number> {
  const retry = <T>(fn: () => Promise<T>) => withRetries(fn, retries, (e, n) => process.stderr.write(`export: ${e.message}; retry ${n} of ${retries}\n`));
  const query = new URLSearchParams(Object.entries(filters).filter(([, v]) => v !== undefined) as [string, string][]);
  let after = Number(query.get('after') ?? 0);
  let count = 0;
  let progress: ReturnType<typeof createProgress> | undefined;
  try {
    for (;;) {
      query.set('after', String(after));
      query.set('limit', '1000');
      const page = await retry(async () => (await request(t, `/events?${query}`)).json() as Promise<Page>);
      progress ??= createProgress('exporting', 'positions', page.next_after === null ? undefined : await headPosition(t));
      if (page.events.length > 0) {
        await writeOut(page.events.map((e) => JSON.stringify(e)).join('\n') + '\n');
        after = page.events[page.events.length - 1]!.position;
        count += page.events.length;
      }
      progress.update(after, count);
      if (page.next_after === null) return count;
    }
  } finally {
    progress?.stop();
  }
}

/**
 * The newest position, the progress bar's end: asked once the first page has come, without
 * retries (the pages spend those), and only where a bar is shown.
 */
async function headPosition(t: Target): Promise<number | undefined> {
  if (!process.stderr.isTTY) return undefined;
  const health = await request(t, '/health').then((r) => r.json() as Promise<{ head_position: number | null }>, () => undefined);
  return health?.head_position ?? undefined;
}
