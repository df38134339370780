import { backoffMs } from '../client/retry.ts';

export interface Target {
  url: string;
  headers: Record<string, string>;
  /** Longest wait for an answer to begin (0: none); a stream, once begun, runs on. */
  timeoutMs: number;
}

export function target(values: { url?: string; key?: string }, timeoutMs: number): Target {
  const url = (values.url ?? process.env.EVENTS_URL ?? 'http://localhost:8011').replace(/\/$/, '');
  const key = values.key ?? process.env.EVENTS_API_KEY;
  return { url, headers: key ? { authorization: `Bearer ${key}` } : {}, timeoutMs };
}

/** A failure worth trying again: the service unreachable, or answering 429 or 5xx. */
export class TransientError extends Error {
  override name = 'TransientError';
}

/** An answer no retry would change (4xx but 429), with its status and the start of its body. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(message: string, readonly status: number, readonly body: string) {
    super(message);
  }
}

/** `path` of the target's service, with its key; a TransientError when it cannot be reached, answers too late, 429 or 5xx, else an HttpError. */
export async function request(t: Target, path: string, init: RequestInit = {}): Promise<Response> {
  const url = `${t.url}${path}`;
  const late = new AbortController();
  const timer = t.timeoutMs > 0 ? setTimeout(() => late.abort(new Error(`no answer within ${t.timeoutMs / 1000} s`)), t.timeoutMs) : undefined;
  let res: Response;
  try {
    res = await fetch(url, { ...init, headers: { ...t.headers, ...(init.headers as Record<string, string> | undefined) }, signal: late.signal });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new TransientError(`cannot reach ${url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
  if (res.ok) return res;
  const text = (await res.text()).slice(0, 500);
  const message = `${init.method ?? 'GET'} ${url} answered ${res.status}: ${text}`;
  throw res.status === 429 || res.status >= 500 ? new TransientError(message) : new HttpError(message, res.status, text);
}

const PAUSE = { initialMs: 250, maxMs: 5_000 };

/** Retries transient failures with a growing pause, at most `retries` times; other errors end it at once. */
export async function withRetries<T>(fn: () => Promise<T>, retries: number, onRetry: (error: Error, attempt: number) => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!(error instanceof TransientError) || attempt > retries) throw error;
      onRetry(error, attempt);
      await new Promise((r) => setTimeout(r, backoffMs(PAUSE, attempt)));
    }
  }
}

/** Waits when the pipe is full, so a slow reader never fills memory. */
export async function writeOut(text: string): Promise<void> {
  if (!process.stdout.write(text)) await new Promise((r) => process.stdout.once('drain', r));
}
