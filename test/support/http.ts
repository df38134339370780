import { randomUUID } from 'node:crypto';
import type { Hono } from 'hono';

type App = Pick<Hono, 'request'>;

export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

async function read<T>(res: Response): Promise<JsonResponse<T>> {
  const text = await res.text();
  let body: any = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body, text };
}

export async function postJson<T = any>(app: App, path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return read<T>(res);
}

export async function postRaw(app: App, path: string, body: RequestInit['body'], headers: Record<string, string> = {}) {
  return read(await app.request(path, { method: 'POST', headers, body }));
}

export async function get<T = any>(app: App, path: string) {
  return read<T>(await app.request(path));
}

export const newId = () => randomUUID();

export function agentCreated(aggregateId: string = newId(), extra: Record<string, unknown> = {}) {
  return {
    event_type: 'agent.created',
    aggregate_type: 'agent',
    aggregate_id: aggregateId,
    payload: { name: 'explore-agent', agent_type: 'exploration' },
    metadata: { session_id: 'session-123', correlation_id: 'corr-456' },
    version: 1,
    ...extra,
  };
}

/** Pages `GET /events` after `start`, `limit` at a time, while `writing` runs and then to the end; the positions seen, in the order read. */
export async function pageWhile(app: App, start: number, limit: number, writing: () => Promise<unknown>): Promise<number[]> {
  const seen: number[] = [];
  let done = false;
  const reader = (async () => {
    let cursor = start;
    for (;;) {
      const finished = done;
      const page = (await get(app, `/events?after=${cursor}&limit=${limit}`)).body;
      for (const e of page.events) seen.push(e.position);
      if (page.events.length > 0) cursor = page.events[page.events.length - 1].position;
      if (finished && page.next_after === null) return;
    }
  })();
  try {
    await writing();
  } finally {
    done = true;
    await reader;
  }
  return seen;
}
