import { backoffMs } from '../client/retry.ts';

export interface Target {
  url: string;
  headers: Record<string, string>;
  /** Longest wait for an answer to begin (0: none); a stream, once begun, runs on. */
  timeoutMs: number;
}

export function target(values: { url?: string; key?: string }, timeoutMs: number): Target {
  const url = (values.url ?? (process.env.EVENTS_URL || 'http://localhost:8011')).replace(/\/$/, '');
  const key = values.key ?? process.env.EVENTS_API_KEY;
  return { url, headers: key ? { authorization: `Bearer ${key}` } : {}, timeoutMs };
}

/** A failure worth trying again: the service unreachable, or answering 429 or 5xx. */
export class TransientError extends Error {
  override name = 'TransientError';
  /** The request surely did nothing: it never reached the service, or was refused with 429. */
  constructor(message: string, readonly didNothing = false) {
    super(message);
  }
}

/** The reader of stdout went away (`| head`): the command has nothing left to do and ends quietly. */
export class OutputClosed extends Error {
  override name = 'OutputClosed';
}

// Connection failures before any byte was sent: repeating the request cannot do anything twice.
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/** An answer no retry would change (4xx but 429), with its status and its body. */
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
    throw new TransientError(`cannot reach ${url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`, NOT_SENT.has(cause?.code ?? ''));
  } finally {
    clearTimeout(timer);
  }
  if (res.ok) return res;
  const text = await res.text();
  const message = `${init.method ?? 'GET'} ${url} answered ${res.status}${describeProblem(text)}`;
  if (res.status === 429 || res.status >= 500) throw new TransientError(message, res.status === 429);
  throw new HttpError(message, res.status, text);
}

/** A problem+json body as a reader wants it: title, detail, then each field at fault; other bodies as they came (their start). */
function describeProblem(text: string): string {
  let problem: { title?: unknown; detail?: unknown; errors?: { pointer?: unknown; detail?: unknown }[] };
  try {
    problem = JSON.parse(text) as typeof problem;
  } catch {
    return text ? `: ${text.slice(0, 500)}` : '';
  }
  if (typeof problem?.title !== 'string') return `: ${text.slice(0, 500)}`;
  const fields = Array.isArray(problem.errors) ? problem.errors.map((e) => `\n  ${String(e.pointer)}: ${String(e.detail)}`).join('') : '';
  return ` (${problem.title})${typeof problem.detail === 'string' ? `: ${problem.detail}` : ''}${fields}`;
}

const PAUSE = { initialMs: 250, maxMs: 5_000 };

const isTransient = (error: Error): boolean => error instanceof TransientError;
/** For a request that starts something: retried only when it surely did nothing, as a lost answer may hide a start. */
export const didNothing = (error: Error): boolean => error instanceof TransientError && error.didNothing;

/** Retries transient failures (those `retryable` admits) with a growing pause, at most `retries` times; other errors end it at once. */
export async function withRetries<T>(fn: () => Promise<T>, retries: number, onRetry: (error: Error, attempt: number) => void, retryable = isTransient): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!retryable(error as Error) || attempt > retries) throw error;
      onRetry(error as Error, attempt);
      await new Promise((r) => setTimeout(r, backoffMs(PAUSE, attempt)));
    }
  }
}

let stdoutError: Error | undefined;

/**
 * Resolves once the text is written, so a slow reader never fills memory; an OutputClosed once
 * the reader has gone (EPIPE), which a listener keeps from ending the process with a stack trace.
 */
export function writeOut(text: string): Promise<void> {
  if (process.stdout.listenerCount('error') === 0) process.stdout.on('error', (error) => (stdoutError ??= error));
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => reject((error as NodeJS.ErrnoException).code === 'EPIPE' ? new OutputClosed('stdout was closed') : error);
    if (stdoutError) return fail(stdoutError);
    process.stdout.write(text, (error) => (error ? fail(error) : resolve()));
  });
}
