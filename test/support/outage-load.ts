import { randomUUID } from 'node:crypto';
import type { Hono } from 'hono';

export interface Answered {
  route: string;
  sentAt: number;
  ms: number;
  status: number;
  contentType: string | null;
  retryAfter: string | null;
}

/**
 * Appends from `writers` loops, one event at a time, each resending its event with the same id
 * after a 503 until it is acknowledged (what the contract asks of a client); beside them a
 * loop of reads and health checks. Every answer is recorded with its time.
 */
export function startLoad(app: Pick<Hono, 'request'>, writers: number) {
  const answered: Answered[] = [];
  const acked = new Map<string, number>();
  const pending = new Set<string>();
  let running = true;

  async function send(route: string, path: string, init?: RequestInit) {
    const sentAt = performance.now();
    const res = await app.request(path, init);
    const text = await res.text();
    answered.push({ route, sentAt, ms: performance.now() - sentAt, status: res.status, contentType: res.headers.get('content-type'), retryAfter: res.headers.get('retry-after') });
    return { status: res.status, text };
  }

  // A resend carries the same body: the same id with another body would be a conflict.
  async function append(id: string) {
    const body = JSON.stringify({ id, event_type: 'agent.created', aggregate_id: id, payload: {} });
    const res = await send('POST /events', '/events', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    if (res.status === 200 || res.status === 201) {
      acked.set(id, (JSON.parse(res.text) as { position: number }).position);
      pending.delete(id);
      return true;
    }
    if (res.status !== 503) throw new Error(`append answered ${res.status}: ${res.text}`);
    return false;
  }

  const loops = Array.from({ length: writers }, async () => {
    while (running) {
      const id = randomUUID();
      pending.add(id);
      while (running && !(await append(id))) await new Promise((r) => setTimeout(r, 20));
    }
  });
  const reads = (async () => {
    while (running) {
      await Promise.all([send('GET /events', '/events?limit=1'), send('GET /events/{id}', `/events/${randomUUID()}`), send('GET /health', '/health'), send('GET /ready', '/ready')]);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();

  return {
    answered,
    acked,
    /** Answers to requests sent after `since`. */
    sentAfter: (since: number) => answered.filter((a) => a.sentAt >= since),
    /** Stops the loops; then resends every event not yet acknowledged until it is. */
    async stop() {
      running = false;
      await Promise.all([...loops, reads]);
      for (const id of pending) while (!(await append(id))) await new Promise((r) => setTimeout(r, 50));
    },
  };
}

const json = { 'content-type': 'application/json' };

/** Routes beside the load's that need PostgreSQL, the lifecycle's and SSE streams from a position among them. */
export const OTHER_ROUTES: { route: string; path: string; init?: RequestInit }[] = [
  { route: 'GET /stats', path: '/stats' },
  { route: 'GET /replays', path: '/replays' },
  { route: 'GET /saved-queries', path: '/saved-queries' },
  { route: 'GET /consumer-groups', path: '/consumer-groups' },
  { route: 'GET /retention', path: '/retention' },
  { route: 'GET /retention/{type}', path: '/retention/widget' },
  { route: 'PUT /retention/{type}', path: '/retention/widget', init: { method: 'PUT', headers: json, body: '{"archive_after":"P3650D"}' } },
  { route: 'GET /archive/segments', path: '/archive/segments' },
  { route: 'GET /archive/runs', path: '/archive/runs' },
  { route: 'GET /archive/runs/{id}', path: `/archive/runs/${randomUUID()}` },
  { route: 'POST /archive/runs', path: '/archive/runs', init: { method: 'POST', headers: json, body: '{"dry_run":true}' } },
  { route: 'GET /events/stream?after=0', path: '/events/stream?after=0' },
  { route: 'GET /events/stream with Last-Event-ID', path: '/events/stream', init: { headers: { 'last-event-id': '0' } } },
];

/** Sends every route of OTHER_ROUTES `copies` times at once; an event stream that opens is cancelled, not read. */
export async function sendOtherRoutes(app: Pick<Hono, 'request'>, copies: number): Promise<Answered[]> {
  const sends = OTHER_ROUTES.flatMap(({ route, path, init }) =>
    Array.from({ length: copies }, async (): Promise<Answered> => {
      const sentAt = performance.now();
      const res = await app.request(path, init);
      if (res.headers.get('content-type')?.startsWith('text/event-stream')) await res.body?.cancel();
      else await res.text();
      return { route, sentAt, ms: performance.now() - sentAt, status: res.status, contentType: res.headers.get('content-type'), retryAfter: res.headers.get('retry-after') };
    }),
  );
  return Promise.all(sends);
}
