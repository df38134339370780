import type { StoredEvent } from '../events/event.ts';
import { EventServiceError, problemOf } from './problems.ts';
import type { EventReader } from './subscribe.ts';

/**
 * Catch-up over HTTP: GET {baseUrl}/events?after=…, with the type filter when the call gives one (consume() does;
 * subscribe() reads every type). A page not read in full within timeoutMs (default 30,000; 0: no limit) fails;
 * subscribe() and consume() read it again. A refusal is thrown as the client's EventServiceError.
 */
export function httpEventReader(baseUrl: string, options: { apiKey?: string; fetch?: typeof fetch; timeoutMs?: number } = {}): EventReader {
  const get = options.fetch ?? fetch;
  const headers: Record<string, string> = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
  const timeoutMs = options.timeoutMs ?? 30_000;
  // Pages of at most this many events: 1,000, or the lower MAX_QUERY_LIMIT a refusal names (limit_max).
  let most = 1000;
  return async (after, limit, aggregateType, signal) => {
    const signals = [...(timeoutMs > 0 ? [AbortSignal.timeout(timeoutMs)] : []), ...(signal ? [signal] : [])];
    for (;;) {
      const size = Math.min(limit, most);
      const qs = new URLSearchParams({ after: String(after), limit: String(size) });
      if (aggregateType) qs.set('aggregate_type', aggregateType);
      const res = await get(`${baseUrl.replace(/\/$/, '')}/events?${qs}`, { headers, ...(signals.length > 0 ? { signal: AbortSignal.any(signals) } : {}) });
      if (!res.ok) {
        const problem = problemOf(res, await res.text());
        if (res.status === 400 && typeof problem.limit_max === 'number' && problem.limit_max >= 1 && problem.limit_max < size) {
          most = problem.limit_max;
          continue;
        }
        throw new EventServiceError(res.status, problem);
      }
      const body = (await res.json()) as { events: StoredEvent[]; next_after: number | null };
      return { events: body.events, nextAfter: body.next_after };
    }
  };
}
