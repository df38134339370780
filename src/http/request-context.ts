import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { withDeadline } from '../events/deadline.ts';
import { AppError } from '../errors.ts';
import { uuidv7 } from '../events/uuid.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';

const HEADER_VALUE = /^[\x21-\x7e]{1,200}$/;

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
    const correlationId = c.req.header('x-correlation-id');
    const saneCorrelationId = correlationId && HEADER_VALUE.test(correlationId) ? correlationId : undefined;
    c.set('requestId' as never, requestId as never);
    // Set before the handler runs: a header set on a finished response makes Hono rebuild it around a body stream.
    c.header('x-request-id', requestId);
    if (saneCorrelationId) {
      c.set('correlationId' as never, saneCorrelationId as never);
      c.header('x-correlation-id', saneCorrelationId);
    }
    try {
      if (timeoutMs > 0 && !c.req.path.startsWith('/events/stream')) {
        await withDeadline(next(), timeoutMs, () => new AppError('timeout', `no answer within ${timeoutMs} ms; the outcome is unknown: resend with the same id`));
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
