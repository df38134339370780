import type { JsonSchema } from './components.ts';

interface ProblemAnswer {
  name: string;
  description: string;
  example: { type: string; title: string; detail: string } & Record<string, unknown>;
  headers?: Record<string, { description: string; schema: JsonSchema }>;
}

const text = { type: 'string' };
const retryAfter = { 'retry-after': { description: 'seconds to wait before retrying', schema: text } };

const PROBLEMS: Record<number, ProblemAnswer> = {
  400: {
    name: 'BadRequest', description: 'Malformed JSON, or a malformed path, query or header value (errors names each)',
    example: { type: '/problems/malformed-request', title: 'Malformed request', detail: 'invalid query parameters', errors: [{ pointer: '/limit', detail: 'must be an integer from 1 to 1000' }] },
  },
  401: {
    name: 'Unauthorized', description: 'API keys are configured and the request has none, or an unknown one',
    example: { type: '/problems/unauthorized', title: 'Unauthorized', detail: 'send an API key: Authorization: Bearer <key>' },
    headers: { 'www-authenticate': { description: 'Bearer realm="event-service"', schema: text } },
  },
  403: {
    name: 'Forbidden', description: 'The API key lacks the scope the operation needs (required_scope)',
    example: { type: '/problems/forbidden', title: 'Forbidden', detail: 'this API key lacks the write scope', required_scope: 'write' },
  },
  404: {
    name: 'NotFound', description: 'Nothing at this address: no such event, aggregate, snapshot, replay, asset or route',
    example: { type: '/problems/not-found', title: 'Not found', detail: 'no event with id 01a20c5a-00d8-7004-84c8-cb241d624f97' },
  },
  405: {
    name: 'MethodNotAllowed', description: 'The path exists, not with this method (Allow lists those it has)',
    example: { type: '/problems/method-not-allowed', title: 'Method not allowed', detail: 'DELETE is not supported on /events' },
    headers: { allow: { description: 'the methods of this path', schema: text } },
  },
  409: {
    name: 'Conflict', description: 'expected_sequence does not match (current_sequence says the sequence now, in a batch with its earlier events counted), or an id is reused with another body; nothing is stored',
    example: { type: '/problems/sequence-conflict', title: 'Sequence conflict', detail: 'expected_sequence 0 but agent 550e8400-e29b-41d4-a716-446655440000 is at sequence 1', current_sequence: 1, expected_sequence: 0 },
  },
  410: {
    name: 'Gone', description: 'Deleted by a retention policy (SPEC §8): the event (also when an append resends its id), or the part of an aggregate\'s history no snapshot covers',
    example: { type: '/problems/gone', title: 'Gone', detail: 'the event was deleted by retention' },
  },
  413: {
    name: 'PayloadTooLarge', description: 'The body is over MAX_BODY_BYTES (limit_bytes)',
    example: { type: '/problems/payload-too-large', title: 'Payload too large', detail: 'the request body is larger than 1048576 bytes', limit_bytes: 1048576 },
  },
  415: {
    name: 'UnsupportedMediaType', description: 'The body is not sent as application/json in UTF-8, or is sent with a Content-Encoding other than identity (then Accept-Encoding: identity)',
    example: { type: '/problems/unsupported-media-type', title: 'Unsupported media type', detail: 'send the body as application/json', accepted: ['application/json'] },
  },
  417: {
    name: 'ExpectationFailed', description: 'An Expect header other than 100-continue; the connection is then closed',
    example: { type: '/problems/malformed-request', title: 'Expectation failed', detail: 'Expect: fancy is not supported; only 100-continue is' },
  },
  422: {
    name: 'ValidationFailed', description: 'Well-formed JSON that breaks a rule (errors names each field by JSON Pointer; a batch of too many events also limit_events)',
    example: { type: '/problems/validation-failed', title: 'Validation failed', detail: 'the request breaks a rule', errors: [{ pointer: '/aggregate_id', detail: 'must be a UUID (8-4-4-4-12 hex digits)' }] },
  },
  429: {
    name: 'TooManyRequests', description: 'More requests per second with this key than RATE_LIMIT_PER_SECOND, or (GET /events/stream) SSE_MAX_STREAMS streams open',
    example: { type: '/problems/rate-limited', title: 'Too many requests', detail: 'more than 100 requests per second with this key' },
    headers: retryAfter,
  },
  503: {
    name: 'Unavailable', description: 'PostgreSQL is unavailable, or no answer within REQUEST_TIMEOUT_MS; resending an append with the same id is safe',
    example: { type: '/problems/storage-unavailable', title: 'Storage unavailable', detail: 'PostgreSQL is unavailable; retry later (resending with the same id is safe)' },
    headers: retryAfter,
  },
};

export function problemRef(status: number) {
  const problem = PROBLEMS[status];
  if (!problem) throw new Error(`no documented problem answer for ${status}`);
  return { $ref: `#/components/responses/${problem.name}` };
}

export function problemResponses() {
  return Object.fromEntries(
    Object.entries(PROBLEMS).map(([status, p]) => [
      p.name,
      {
        description: p.description,
        ...(p.headers ? { headers: p.headers } : {}),
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' }, example: { ...p.example, status: Number(status), instance: '/events' } } },
      },
    ]),
  );
}
