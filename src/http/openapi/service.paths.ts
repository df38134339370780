import { docsAssetPath } from '../docs.routes.ts';
import { json, type OperationSpec } from './operation.ts';

export function serviceOperations(): OperationSpec[] {
  const tag = 'service';
  const text = (description: string, mediaType: string) => ({ description, content: { [mediaType]: { schema: { type: 'string' } } } });
  const health = { status: 'ok', postgres: 'ok', redis: 'ok', head_position: 1234, published_position: 1234, publish_lag: 0, relay: 'running', archive: { storage: 'ok', storage_error: null, last_run: null } };
  const ready = { status: 'ready', postgres: 'ok', migrations: 'ok', redis: 'ok' };
  return [
    {
      method: 'get', path: '/health', operationId: 'health', tag, summary: 'Liveness: PostgreSQL reachable; Redis and publish lag reported',
      answers: { 200: json('Healthy', 'Health', health), 503: json('PostgreSQL unreachable', 'Health', { ...health, status: 'unavailable', postgres: 'unavailable', head_position: null, publish_lag: null }) },
    },
    {
      method: 'get', path: '/ready', operationId: 'ready', tag, summary: 'Readiness: PostgreSQL reachable, migrations applied',
      answers: { 200: json('Ready', 'Ready', ready), 503: json('Not ready', 'Ready', { ...ready, status: 'not_ready', postgres: 'unavailable', migrations: 'unknown' }) },
    },
    { method: 'get', path: '/metrics', operationId: 'metrics', tag, summary: 'Prometheus metrics', answers: { 200: text('Prometheus text format 0.0.4', 'text/plain') } },
    { method: 'get', path: '/openapi.json', operationId: 'openapi', tag, summary: 'This document', answers: { 200: json('OpenAPI 3.1', { type: 'object' }) } },
    { method: 'get', path: '/docs', operationId: 'docs', tag, summary: 'Interactive documentation of this document', answers: { 200: text('HTML', 'text/html') } },
    {
      method: 'get', path: '/docs/{file}', operationId: 'docsAsset', tag, summary: 'A script or style sheet of the documentation page',
      pathParameters: docsAssetPath,
      answers: { 200: { description: 'The asset', content: { 'text/javascript': { schema: { type: 'string' } }, 'text/css': { schema: { type: 'string' } } } } },
      problems: [404],
    },
  ];
}
