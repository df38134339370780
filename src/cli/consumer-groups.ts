import { didNothing, request, type Target, withRetries, writeOut } from './http.ts';

const retrying = (retries: number, what: string, retryable?: (e: Error) => boolean) => <T>(fn: () => Promise<T>) =>
  withRetries(fn, retries, (e, n) => process.stderr.write(`${what}: ${e.message}; retry ${n} of ${retries}\n`), retryable);

export async function listConsumerGroups(t: Target, aggregateType: string | undefined, retries: number): Promise<void> {
  const query = new URLSearchParams(aggregateType ? { aggregate_type: aggregateType } : {});
  const body = await retrying(retries, 'consumer-groups')(async () => (await request(t, `/consumer-groups?${query}`)).json() as Promise<{ groups: unknown[] }>);
  if (body.groups.length > 0) await writeOut(body.groups.map((g) => JSON.stringify(g)).join('\n') + '\n');
}

type ParkedPage = { parked: unknown[]; next_after: string | null };

export async function listParked(t: Target, aggregateType: string, group: string, limit: number | undefined, retries: number): Promise<void> {
  const base = `/consumer-groups/${encodeURIComponent(aggregateType)}/${encodeURIComponent(group)}/parked`;
  let after: string | null = null;
  let left = limit ?? Infinity;
  do {
    const query: URLSearchParams = new URLSearchParams({ limit: String(Math.min(left, 1000)), ...(after ? { after } : {}) });
    const page: ParkedPage = await retrying(retries, 'parked list')(async () => (await request(t, `${base}?${query}`)).json() as Promise<ParkedPage>);
    if (page.parked.length > 0) await writeOut(page.parked.map((p) => JSON.stringify(p)).join('\n') + '\n');
    left -= page.parked.length;
    after = page.next_after;
  } while (after && left > 0);
}

/** Sends parked events back to the group, or discards them; retried only when it surely did nothing, as one that reached the service must not be sent twice. */
export async function takeParked(action: 'replay' | 'discard', t: Target, aggregateType: string, group: string, ids: string[], limit: number | undefined, retries: number): Promise<void> {
  const path = `/consumer-groups/${encodeURIComponent(aggregateType)}/${encodeURIComponent(group)}/parked/${action}`;
  const body = JSON.stringify({ ...(ids.length > 0 ? { ids } : {}), ...(limit !== undefined ? { limit } : {}) });
  const res = await retrying(retries, `parked ${action}`, didNothing)(() => request(t, path, { method: 'POST', headers: { 'content-type': 'application/json' }, body }));
  const answer = (await res.json()) as { replayed?: number; discarded?: number };
  const n = answer.replayed ?? answer.discarded ?? 0;
  process.stderr.write(`${action === 'replay' ? 'replayed' : 'discarded'} ${n} parked event${n === 1 ? '' : 's'} of ${aggregateType}/${group}\n`);
}
