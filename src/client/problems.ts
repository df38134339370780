// What the client throws for an answer that is not a success, and for an append it gave up on.

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { pointer: string; detail: string }[];
  current_sequence?: number;
  /** 413: the service's body limit (MAX_BODY_BYTES). */
  limit_bytes?: number;
  /** 422 for a batch of too many events: the most one may hold (MAX_BATCH_EVENTS). */
  limit_events?: number;
  /** 400 for a query `limit` over the service's MAX_QUERY_LIMIT: its largest page. */
  limit_max?: number;
  [extension: string]: unknown;
}

/** A problem+json answer, as an error. */
export class EventServiceError extends Error {
  override name = 'EventServiceError';
  constructor(readonly status: number, readonly problem: Problem) {
    super(`${problem.title}: ${problem.detail}`);
  }
}

/**
 * An append the client gave up on after transient failures (`cause`: the last, an EventServiceError
 * or fetch's error): it may have been stored. `ids` are the events' ids as sent, those the client
 * made included; resending the events with them stores each at most once.
 */
export class AppendOutcomeUnknownError extends Error {
  override name = 'AppendOutcomeUnknownError';
  constructor(readonly ids: string[], readonly attempts: number, options: { cause: unknown }) {
    super(`gave up after ${attempts} attempt${attempts === 1 ? '' : 's'} (${describe(options.cause)}): the append may have been stored; resend it with the same ids`, options);
  }
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The answer's problem; fields a body lacks (a proxy's error page, other JSON) come from the status and the text. */
export function problemOf(res: Response, text: string): Problem {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const given = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Partial<Problem>) : {};
  const field = (name: 'type' | 'title' | 'detail', fallback: string) => (typeof given[name] === 'string' ? given[name] : fallback);
  return {
    ...given,
    type: field('type', 'about:blank'),
    title: field('title', res.statusText || `HTTP ${res.status}`),
    status: typeof given.status === 'number' ? given.status : res.status,
    detail: field('detail', text.slice(0, 200)),
  };
}
