import { isUtf8 } from 'node:buffer';
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { z } from 'zod';
import { withDeadline } from '../events/deadline.ts';
import { AppError } from '../errors.ts';
import { MAX_CORRELATION_ID_BYTES } from '../events/append-input.ts';
import { uuidv7 } from '../events/uuid.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';

const HEADER_VALUE = /^[\x21-\x7e]{1,200}$/;
const CONTROL = /[\x00-\x1f\x7f]/;
const ASCII = /^[\x20-\x7e]*$/;

/** What X-Correlation-Id can be: text a body's metadata.correlation_id could hold. */
export const CORRELATION_HEADER_RULE = `X-Correlation-Id must be 1 to ${MAX_CORRELATION_ID_BYTES} bytes of UTF-8 text without control characters`;

/** For the API description of the appends. */
export const correlationIdHeader = {
  'X-Correlation-Id': z.string().min(1).max(MAX_CORRELATION_ID_BYTES)
    .describe(`fills metadata.correlation_id of each event whose body has none (a resend is the same event whatever header it comes with); echoed when ASCII. ${CORRELATION_HEADER_RULE}: else 400`),
};

/** A read can simply be sent again; anything else may have taken effect. */
const timeoutAdvice = (method: string) => (method === 'GET' || method === 'HEAD' ? 'retry' : 'the outcome is unknown: resend it (an append with the same id)');

/** The header's value as text (Node reads header bytes as latin1), or null when it breaks the rule. */
function correlationFromHeader(raw: string): string | null {
  const bytes = Buffer.from(raw, 'latin1');
  if (bytes.length === 0 || bytes.length > MAX_CORRELATION_ID_BYTES || !isUtf8(bytes)) return null;
  const text = bytes.toString('utf8');
  return CONTROL.test(text) ? null : text;
}

export interface RequestContextOptions {
  logger: Logger;
  metrics: Metrics;
  logRequests: boolean;
  timeoutMs: number;
}

/** Per request: X-Request-Id (the client's if sane, else a UUIDv7), a time limit except for SSE, metrics and an optional log line without Authorization. */
export function requestContext({ logger, metrics, logRequests, timeoutMs }: RequestContextOptions): MiddlewareHandler {
  return async function context(c, next) {
    const started = performance.now();
    const given = c.req.header('x-request-id');
    const requestId = given && HEADER_VALUE.test(given) ? given : uuidv7();
    const rawCorrelationId = c.req.header('x-correlation-id');
    c.set('requestId' as never, requestId as never);
    // Set before the handler runs: a header set on a finished response makes Hono rebuild it around a body stream.
    c.header('x-request-id', requestId);
    if (rawCorrelationId) {
      // The appends refuse one that breaks the rule (`null`); other routes only leave it out of the answer.
      const correlationId = correlationFromHeader(rawCorrelationId);
      c.set('correlationId' as never, correlationId as never);
      // Echoed only as ASCII: Node writes a header's other characters as latin1 or as UTF-8 depending on the body.
      if (correlationId !== null && ASCII.test(rawCorrelationId)) c.header('x-correlation-id', rawCorrelationId);
    }
    try {
      if (timeoutMs > 0 && !c.req.path.startsWith('/events/stream')) {
        await withDeadline(next(), timeoutMs, () => new AppError('timeout', `no answer within ${timeoutMs} ms; ${timeoutAdvice(c.req.method)}`));
      } else {
        await next();
      }
    } finally {
      const route = safeRoute(c);
      metrics.requests.inc({ method: c.req.method, route, status: String(c.res.status) });
      if (logRequests) {
        logger.info({ request_id: requestId, method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round((performance.now() - started) * 100) / 100, key: c.get('apiKey' as never) }, 'request');
      }
    }
  };
}

function safeRoute(c: Parameters<MiddlewareHandler>[0]): string {
  try {
    return routePath(c, -1) || 'unknown'; // the last matched route: the handler's pattern
  } catch {
    return 'unknown';
  }
}
