import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AppError, countedDetail, type ErrorCode, MAX_FIELD_ERRORS } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import { mapStoreError } from '../postgres/errors.ts';

// The one status table; the compiler checks that every ErrorCode has an entry.
const problems: Record<ErrorCode, { status: ContentfulStatusCode; title: string }> = {
  malformed_json: { status: 400, title: 'Malformed JSON' },
  malformed_request: { status: 400, title: 'Malformed request' },
  validation_failed: { status: 422, title: 'Validation failed' },
  not_found: { status: 404, title: 'Not found' },
  gone: { status: 410, title: 'Gone' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  sequence_conflict: { status: 409, title: 'Sequence conflict' },
  id_conflict: { status: 409, title: 'Event id conflict' },
  archive_run_in_progress: { status: 409, title: 'Archive run in progress' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  storage_unavailable: { status: 503, title: 'Storage unavailable' },
  redis_unavailable: { status: 503, title: 'Redis unavailable' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  forbidden: { status: 403, title: 'Forbidden' },
  rate_limited: { status: 429, title: 'Too many requests' },
  timeout: { status: 503, title: 'Request timed out' },
  internal: { status: 500, title: 'Internal server error' },
};

/** RFC 9457 body for an AppError. `type` is a relative URI naming the error code. */
export function problemResponse(c: Context, error: AppError): Response {
  const { status, title } = problems[error.code];
  const requestId = c.get('requestId' as never) as string | undefined;
  const { errors } = error.extensions;
  const over = Array.isArray(errors) && errors.length > MAX_FIELD_ERRORS;
  const body = {
    type: `/problems/${error.code.replaceAll('_', '-')}`,
    title,
    status,
    detail: over ? countedDetail(error.detail, errors.length) : error.detail,
    instance: c.req.path,
    ...(requestId ? { request_id: requestId } : {}),
    ...error.extensions,
    ...(over ? { errors: errors.slice(0, MAX_FIELD_ERRORS) } : {}),
  };
  const headers: Record<string, string> = { 'content-type': 'application/problem+json', ...error.headers };
  if (requestId) headers['x-request-id'] = requestId;
  if (status === 503) headers['retry-after'] ??= '1';
  return c.newResponse(JSON.stringify(body), status, headers);
}

// Hono's own exceptions (bad JSON from a validator, body limit) keep their status.
function fromHttpException(e: HTTPException): AppError {
  switch (e.status) {
    case 413:
      return new AppError('payload_too_large', 'the request body is larger than the limit');
    case 415:
      return new AppError('unsupported_media_type', e.message);
    case 400:
      return new AppError('malformed_request', e.message || 'malformed request');
    default:
      return new AppError('internal', e.message);
  }
}

/** The app's single onError: every thrown error becomes problem+json. */
export function createErrorHandler(logger: Logger) {
  return function onError(error: Error, c: Context): Response {
    let appError: AppError;
    if (error instanceof AppError) appError = error;
    else if (error instanceof HTTPException) appError = fromHttpException(error);
    else {
      const mapped = mapStoreError(error);
      appError = mapped instanceof AppError ? mapped : new AppError('internal', 'an unexpected error occurred');
    }
    const requestId = c.get('requestId' as never) as string | undefined;
    if (appError.code === 'internal') logger.error({ err: error, path: c.req.path, request_id: requestId }, 'unhandled error');
    else if (appError.code === 'storage_unavailable') logger.warn({ err: error.message, path: c.req.path, request_id: requestId }, 'storage unavailable');
    return problemResponse(c, appError);
  };
}
