import { failOn, type Target, writeOut } from './http.ts';

const FILTERS = ['aggregate_type', 'aggregate_id', 'event_type', 'correlation_id', 'from', 'to', 'after'];

/**
 * events-service export [--aggregate_type X] [--event_type X] [--from T] [--to T] [--after P] …
 * Writes every matching event as one JSON line to stdout, in position order, page by page
 * (1000 at a time, the next page only once the previous is written); a progress line on stderr.
 */
export async function exportEvents(t: Target, flags: Record<string, string>): Promise<number> {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(flags)) if (FILTERS.includes(k)) query.set(k, v);
  let after = Number(query.get('after') ?? 0);
  let count = 0;
  let shown = Date.now();
  for (;;) {
    query.set('after', String(after));
    query.set('limit', '1000');
    const res = await fetch(`${t.url}/events?${query}`, { headers: t.headers });
    await failOn(res, 'GET /events');
    const page = (await res.json()) as { events: { position: number }[]; next_after: number | null };
    if (page.events.length > 0) await writeOut(page.events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    count += page.events.length;
    if (page.events.length > 0) after = page.events[page.events.length - 1]!.position;
    if (Date.now() - shown > 1000) {
      process.stderr.write(`\rexported ${count.toLocaleString()} events, up to position ${after}`);
      shown = Date.now();
    }
    if (page.next_after === null) break;
  }
  process.stderr.write(`\rexported ${count.toLocaleString()} events${' '.repeat(30)}\n`);
  return count;
}
