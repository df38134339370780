import type { HttpBindings } from '@hono/node-server';
import { type Context, Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import { parseEventFilters } from '../events/query-input.ts';
import type { CommitSignal } from '../store/commit-signal.ts';
import type { EventStore } from '../store/event-store.ts';
import type { Logger } from '../observability/logger.ts';
import { readFloor } from './min-position.ts';
import { createSharedPages, type SharedPage } from './shared-pages.ts';

export interface StreamRoutesDeps {
  store: EventStore;
  commits: CommitSignal;
  heartbeatMs: number;
  /** Most streams open at once on this instance; another is refused with 429 until one closes. */
  maxStreams: number;
  /** Ends every open stream (the client reconnects with Last-Event-ID, elsewhere or later). */
  shutdown?: AbortSignal;
  logger: Logger;
}

const PAGE = 100;
// On shutdown, how long an ended stream's last bytes may take to reach its client before the connection is cut.
const FLUSH_ON_SHUTDOWN_MS = 500;

export const lastEventIdHeader = z.string().regex(/^(0|[1-9]\d{0,15})$/).refine((v) => Number.isSafeInteger(Number(v))).describe('resume after this position (a reconnecting EventSource sends it)');

// SSE from `after=` or Last-Event-ID (else the head), then live; each `id` is a position. A page is read only once the
// previous is written, so a slow client holds one page.
export function createStreamRoutes({ store, commits, heartbeatMs, maxStreams, shutdown, logger }: StreamRoutesDeps) {
  const sharedPage = createSharedPages(store);
  const open = new Set<() => void>();
  // Streams admitted and still reading their first page: counted from admission, so that requests
  // arriving together cannot all pass the limit while each awaits its first page.
  let starting = 0;
  shutdown?.addEventListener('abort', () => open.forEach((end) => end()), { once: true });
  return new Hono<{ Bindings: Partial<HttpBindings> }>().get('/', async (c) => {
    // Each stream holds a connection and reads on every commit: one client must not open them without end.
    if (open.size + starting >= maxStreams) {
      throw new AppError('rate_limited', `${maxStreams} streams are open on this instance (SSE_MAX_STREAMS); retry once one closes`, { limit_streams: maxStreams }, { headers: { 'retry-after': '5' } });
    }
    starting++;
    let admitted = true;
    const leave = () => {
      if (admitted) starting--;
      admitted = false;
    };
    try {
      return await openStream(c, leave);
    } finally {
      leave();
    }
  });

  async function openStream(c: Context<{ Bindings: Partial<HttpBindings> }>, leave: () => void) {
    const filters = parseEventFilters(c.req.queries());
    const lastEventId = c.req.header('last-event-id')?.trim();
    if (lastEventId !== undefined && !lastEventIdHeader.safeParse(lastEventId).success) {
      throw new AppError('malformed_request', 'Last-Event-ID must be a position', { errors: [{ pointer: '/Last-Event-ID', detail: 'must be an integer >= 0' }] });
    }
    const floor = readFloor(c, filters.minPosition) ?? 0;
    // The head a replica shows may be behind commits this instance knows of: new events are those after both.
    let cursor = lastEventId !== undefined ? Number(lastEventId) : (filters.after ?? Math.max(await store.atLeast(floor).headPosition(), commits.head));
    const nextPage = () => sharedPage(floor, commits.head, { ...filters, after: cursor, limit: PAGE, offset: 0, order: 'asc' });
    // Read before the stream opens: while PostgreSQL is away the request is answered 503 with Retry-After, like any read.
    let first: SharedPage | undefined = await nextPage();

    const outgoing = c.env?.outgoing;
    return streamSSE(c, async (stream) => {
      const abort = new AbortController();
      stream.onAbort(() => abort.abort());
      // Aborting the stream also ends a write waiting on a client that stopped reading. A client
      // that reads gets the bytes already written; one that does not has its connection cut, so
      // the stop does not wait SHUTDOWN_TIMEOUT_MS for it. Either resumes with Last-Event-ID.
      const end = () => {
        stream.abort();
        setTimeout(() => outgoing?.writableFinished || outgoing?.destroy(), FLUSH_ON_SHUTDOWN_MS).unref();
      };
      open.add(end);
      leave();
      if (shutdown?.aborted) end();
      const ended = () => stream.aborted || stream.closed || abort.signal.aborted;
      try {
        let lastWrite = Date.now();
        await stream.write(': connected\n\n');
        while (!ended()) {
          const { page, covers, sse, last } = first ?? (await nextPage());
          first = undefined;
          if (sse) {
            // One write per page: with many readers, the writes are what costs.
            await stream.write(sse);
            cursor = last;
            lastWrite = Date.now();
            if (ended()) return;
          }
          if (page.nextAfter !== null) continue;
          // Nothing more matches up to the head the page covers: skip past it.
          cursor = Math.max(cursor, covers);
          await commits.waitBeyond(cursor, Math.max(0, heartbeatMs - (Date.now() - lastWrite)), abort.signal);
          if (Date.now() - lastWrite >= heartbeatMs && !ended()) {
            await stream.write(': heartbeat\n\n');
            lastWrite = Date.now();
          }
        }
      } catch (error) {
        // The stream ends; the client reconnects with Last-Event-ID and resumes where it was.
        logger.warn({ err: (error as Error).message }, 'event stream ended by an error');
      } finally {
        open.delete(end);
      }
    });
  }
}
