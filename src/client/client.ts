import type { z } from 'zod';
import type { eventInput } from '../events/append-input.ts';
import type { StoredEvent } from '../events/event.ts';

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
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { pointer: string; detail: string }[];
  current_sequence?: number;
  [extension: string]: unknown;
}

/** A problem+json answer, as an error. */
export class EventServiceError extends Error {
  override name = 'EventServiceError';
  constructor(readonly status: number, readonly problem: Problem) {
    super(`${problem.title}: ${problem.detail}`);
  }
}

export interface ClientOptions {
  baseUrl: string;
  apiKey?: string;
  fetch?: typeof fetch;
}

/** A typed client for the HTTP API; `created` tells a new event (201) from an identical resend (200). */
export function createEventClient(options: ClientOptions) {
  const base = options.baseUrl.replace(/\/$/, '');
  const doFetch = options.fetch ?? fetch;
  const headers = (extra: Record<string, string> = {}) => ({ ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}), ...extra });

  async function call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await doFetch(`${base}${path}`, {
      method,
      headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const parsed = (await res.json().catch(() => undefined)) as unknown;
    if (!res.ok) throw new EventServiceError(res.status, (parsed as Problem) ?? { type: 'about:blank', title: res.statusText, status: res.status, detail: '' });
    return { status: res.status, body: parsed as T };
  }
  const qs = (q: object) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined) p.set(k, String(v));
    const s = p.toString();
    return s ? `?${s}` : '';
  };

  return {
    async append(event: AppendInput): Promise<{ event: StoredEvent; created: boolean }> {
      const r = await call<StoredEvent>('POST', '/events', event);
      return { event: r.body, created: r.status === 201 };
    },
    async appendBatch(events: AppendInput[]): Promise<{ events: StoredEvent[]; created: boolean }> {
      const r = await call<{ events: StoredEvent[] }>('POST', '/events/batch', { events });
      return { events: r.body.events, created: r.status === 201 };
    },
    /** The event, or undefined when there is none with this id. */
    async get(id: string): Promise<StoredEvent | undefined> {
      try {
        return (await call<StoredEvent>('GET', `/events/${id}`)).body;
      } catch (error) {
        if (error instanceof EventServiceError && error.status === 404) return undefined;
        throw error;
      }
    },
    async query(q: QueryOptions = {}): Promise<{ events: StoredEvent[]; next_after: number | null }> {
      return (await call<{ events: StoredEvent[]; next_after: number | null }>('GET', `/events${qs(q)}`)).body;
    },
    /** Every matching event in position order, fetched page by page. */
    async *all(filters: EventFilters = {}, pageSize = 1000): AsyncGenerator<StoredEvent> {
      let after = filters.after ?? 0;
      for (;;) {
        const page = await this.query({ ...filters, after, limit: pageSize });
        yield* page.events;
        if (page.next_after === null) return;
        after = page.next_after;
      }
    },
    async aggregate<S = unknown>(type: string, id: string): Promise<{ aggregate_type: string; aggregate_id: string; sequence: number; state?: S }> {
      return (await call<{ aggregate_type: string; aggregate_id: string; sequence: number; state?: S }>('GET', `/aggregates/${type}/${id}`)).body;
    },
    async putSnapshot(type: string, id: string, snapshot: { sequence: number; schema_version: number; state: unknown }) {
      return (await call<{ sequence: number; schema_version: number; state: unknown; stored: boolean }>('PUT', `/aggregates/${type}/${id}/snapshot`, snapshot)).body;
    },
    async getSnapshot(type: string, id: string, schemaVersion?: number) {
      return (await call<{ sequence: number; schema_version: number; state: unknown }>('GET', `/aggregates/${type}/${id}/snapshot${qs({ schema_version: schemaVersion })}`)).body;
    },
  };
}

export type EventClient = ReturnType<typeof createEventClient>;
