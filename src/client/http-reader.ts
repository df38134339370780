import type { StoredEvent } from '../events/event.ts';
import type { EventReader } from './subscribe.ts';

/**
 * Catch-up over HTTP: GET {baseUrl}/events?after=…, with the type filter when the call gives one (consume() does;
 * subscribe() reads every type). A page not read in full within timeoutMs (default 30,000; 0: no limit) fails;
 * subscribe() and consume() read it again.
 */
export function httpEventReader(baseUrl: string, options: { apiKey?: string; fetch?: typeof fetch; timeoutMs?: number } = {}): EventReader {
  const get = options.fetch ?? fetch;
  const headers: Record<string, string> = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
  const timeoutMs = options.timeoutMs ?? 30_000;
  return async (after, limit, aggregateType) => {
    const qs = new URLSearchParams({ after: String(after), limit: String(Math.min(limit, 1000)) });
    if (aggregateType) qs.set('aggregate_type', aggregateType);
    const res = await get(`${baseUrl.replace(/\/$/, '')}/events?${qs}`, { headers, ...(timeoutMs > 0 ? { signal: AbortSignal.timeout(timeoutMs) } : {}) });
    if (!res.ok) throw new Error(`GET /events answered ${res.status}`);
    const body = (await res.json()) as { events: StoredEvent[]; next_after: number | null };
    return { events: body.events, nextAfter: body.next_after };
  };
}
