import type { z } from 'zod';
import type { eventInput } from '../events/append-input.ts';
import type { Snapshot, StoredEvent } from '../events/event.ts';
import { uuidv7 } from '../events/uuid.ts';
import { AppendOutcomeUnknownError, EventServiceError, problemOf } from './problems.ts';
import { backoffMs, resolveRetryDelay, type RetryDelay, wholeNumber } from './retry.ts';

/** What POST /events takes (the server's own zod schema, as its input type). */
export type AppendInput = z.input<typeof eventInput>;

export interface EventFilters {
  aggregate_type?: string;
  aggregate_id?: string;
  event_type?: string;
  correlation_id?: string;
  from?: string;
  to?: string;
  after?: number;
}

export interface QueryOptions extends EventFilters {
  limit?: number;
  offset?: number;
  order?: 'asc' | 'desc';
  /** Answer only from a server that has replayed this position (README, Read replicas). */
  min_position?: number;
}

export interface ClientOptions {
  baseUrl: string;
  apiKey?: string;
  fetch?: typeof fetch;
  /** Times a request is sent again after a transient failure (default 3; 0: never). */
  retries?: number;
  /** Pause before a retry: initialMs doubling up to maxMs, less up to half at random (default 200 and 10,000); a Retry-After answer's wait instead, at most maxMs. */
  retryDelay?: Partial<RetryDelay>;
  /** Longest an attempt may take, its answer read in full (default 30,000; 0: no limit). */
  timeoutMs?: number;
  /** Called before each retry with what failed: the error thrown, or the EventServiceError of the answer. */
  onRetry?(info: { retry: number; delayMs: number; error: unknown }): void;
  /**
   * Reads carry X-Min-Position, the highest position this client's appends were answered with,
   * so a service reading from a replica answers them only once it has replayed as far, and the
   * client reads its own writes (default true).
   */
  readYourWrites?: boolean;
}

/** A snapshot as the service answers it. */
export type SnapshotAnswer = Snapshot;

// Transient: the service was not reached or did not answer in time, or answered one of these.
// Every request the client sends is safe to resend: reads, snapshot PUTs (the same snapshot
// again), and appends, whose events always carry an id (the client makes one when the caller
// gives none), so a resend is answered from the stored event (README, Idempotency).
const RETRY_STATUSES = new Set([429, 502, 503, 504]);

const optionError = (message: string) => new RangeError(`createEventClient: ${message}`);

/** Milliseconds a Retry-After header asks for (seconds or an HTTP date), or undefined. */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const ms = /^\d+$/.test(header.trim()) ? Number(header) * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) ? Math.max(0, ms) : undefined;
}

/** A typed client for the HTTP API; `created` tells a new event (201) from an identical resend (200). Transient failures are retried. */
export function createEventClient(options: ClientOptions) {
  const base = options.baseUrl.replace(/\/$/, '');
  const doFetch = options.fetch ?? fetch;
  const retries = wholeNumber('retries', options.retries, 3, 0, 100, optionError);
  const retryDelay = resolveRetryDelay(options.retryDelay, optionError);
  const timeoutMs = wholeNumber('timeoutMs', options.timeoutMs, 30_000, 0, 2_147_483_647, optionError);
  const readYourWrites = options.readYourWrites ?? true;
  let written = 0;
  const headers = (method: string, body: string | undefined) => ({
    ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    ...(method === 'GET' && readYourWrites && written > 0 ? { 'x-min-position': String(written) } : {}),
  });
  const wrote = (events: StoredEvent[]) => {
    for (const e of events) written = Math.max(written, e.position);
  };

  /** One attempt: the answer read in full, or what kept it from coming (not reached, no answer in time, cut short). */
  async function attempt(method: string, path: string, body: string | undefined): Promise<{ res: Response; text: string } | { error: unknown }> {
    try {
      const res = await doFetch(`${base}${path}`, {
        method,
        headers: headers(method, body),
        body,
        ...(timeoutMs > 0 ? { signal: AbortSignal.timeout(timeoutMs) } : {}),
      });
      return { res, text: await res.text() };
    } catch (error) {
      return { error };
    }
  }

  /** `ids`: an append's, for the error that says its outcome is unknown when the retries run out. */
  async function call<T>(method: string, path: string, body?: unknown, ids?: string[]): Promise<{ status: number; body: T; attempts: number }> {
    const text = body === undefined ? undefined : JSON.stringify(body);
    for (let attempts = 1; ; attempts++) {
      const sent = await attempt(method, path, text);
      let failure: unknown;
      let wait: number | undefined;
      if ('error' in sent) {
        failure = sent.error;
      } else if (sent.res.ok) {
        return { status: sent.res.status, body: (sent.text === '' ? undefined : JSON.parse(sent.text)) as T, attempts };
      } else {
        failure = new EventServiceError(sent.res.status, problemOf(sent.res, sent.text));
        if (!RETRY_STATUSES.has(sent.res.status)) throw failure;
        wait = retryAfterMs(sent.res.headers.get('retry-after'));
      }
      if (attempts > retries) throw ids ? new AppendOutcomeUnknownError(ids, attempts, { cause: failure }) : failure;
      const delayMs = Math.min(retryDelay.maxMs, wait ?? backoffMs(retryDelay, attempts) * (1 - Math.random() / 2));
      options.onRetry?.({ retry: attempts, delayMs, error: failure });
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
  const qs = (q: object) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined) p.set(k, String(v));
    const s = p.toString();
    return s ? `?${s}` : '';
  };

  const query = async (q: QueryOptions = {}): Promise<{ events: StoredEvent[]; next_after: number | null }> =>
    (await call<{ events: StoredEvent[]; next_after: number | null }>('GET', `/events${qs(q)}`)).body;

  return {
    /**
     * Appends one event. Without an `id` the client gives it a UUIDv7, so a retry cannot store it
     * twice; `created` is then also true when an earlier attempt of this call stored it.
     */
    async append(event: AppendInput): Promise<{ event: StoredEvent; created: boolean }> {
      const id = event.id ?? uuidv7();
      const r = await call<StoredEvent>('POST', '/events', { ...event, id }, [id]);
      wrote([r.body]);
      return { event: r.body, created: r.status === 201 || (r.attempts > 1 && event.id === undefined) };
    },
    /** Appends the events atomically; ids as for append(), `created` likewise when no event came with an id. */
    async appendBatch(events: AppendInput[]): Promise<{ events: StoredEvent[]; created: boolean }> {
      const sent = events.map((e) => ({ ...e, id: e.id ?? uuidv7() }));
      const r = await call<{ events: StoredEvent[] }>('POST', '/events/batch', { events: sent }, sent.map((e) => e.id));
      wrote(r.body.events);
      return { events: r.body.events, created: r.status === 201 || (r.attempts > 1 && events.every((e) => e.id === undefined)) };
    },
    /** The event, or undefined when there is none with this id. */
    async get(id: string): Promise<StoredEvent | undefined> {
      try {
        return (await call<StoredEvent>('GET', `/events/${segment(id)}`)).body;
      } catch (error) {
        if (error instanceof EventServiceError && error.status === 404) return undefined;
        throw error;
      }
    },
    query,
    /** Every matching event in position order, fetched page by page (smaller pages when the service's MAX_QUERY_LIMIT is lower). */
    async *all(filters: EventFilters = {}, pageSize = 1000): AsyncGenerator<StoredEvent> {
      let after = filters.after ?? 0;
      for (;;) {
        let page: Awaited<ReturnType<typeof query>>;
        try {
          page = await query({ ...filters, after, limit: pageSize });
        } catch (error) {
          const most = error instanceof EventServiceError ? error.problem.limit_max : undefined;
          if (typeof most !== 'number' || most >= pageSize) throw error;
          pageSize = most;
          continue;
        }
        yield* page.events;
        if (page.next_after === null) return;
        after = page.next_after;
      }
    },
    /** The aggregate's sequence, and its state where the service has its definition; `atSequence`: as it was after that event. */
    async aggregate<S = unknown>(type: string, id: string, options: { atSequence?: number } = {}): Promise<{ aggregate_type: string; aggregate_id: string; sequence: number; state?: S }> {
      return (await call<{ aggregate_type: string; aggregate_id: string; sequence: number; state?: S }>('GET', `/aggregates/${segment(type)}/${segment(id)}${qs({ at_sequence: options.atSequence })}`)).body;
    },
    async putSnapshot(type: string, id: string, snapshot: { sequence: number; schema_version: number; state: unknown }) {
      return (await call<SnapshotAnswer & { stored: boolean }>('PUT', `/aggregates/${segment(type)}/${segment(id)}/snapshot`, snapshot)).body;
    },
    async getSnapshot(type: string, id: string, schemaVersion?: number) {
      return (await call<SnapshotAnswer>('GET', `/aggregates/${segment(type)}/${segment(id)}/snapshot${qs({ schema_version: schemaVersion })}`)).body;
    },
  };
}

export type EventClient = ReturnType<typeof createEventClient>;

/** A value as one path segment: escaped, so an id never reaches another route ("../health", "?limit=1"). */
function segment(value: string): string {
  // URLs resolve "." and ".." (also escaped as %2E) as they would in a file path.
  if (value === '' || value === '.' || value === '..') throw new TypeError(`not a path segment: "${value}"`);
  return encodeURIComponent(value);
}
