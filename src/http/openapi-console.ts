import { z } from 'zod';
import { aggregateQuerySchema } from './aggregate-query.ts';
import { authKeySchema, replayListSchema, replayPreviewSchema, savedQueryListSchema, savedQuerySchema, statsSchema } from './console-wire-schemas.ts';
import { replayListQuerySchema } from './replay-list-query.ts';
import { savedQueryBody } from './saved-query-body.ts';
import { STATS_MAX_BUCKETS, statsQuerySchema } from './stats-query.ts';

/** The helpers of createOpenApi() (openapi.ts) that these paths are described with. */
export interface OpenApiHelpers {
  json(schemaId: string, where: string, schema: z.ZodType, value: unknown): Record<string, unknown>;
  problem(description: string, value?: unknown): Record<string, unknown>;
  secured: Record<string, unknown>;
  common: Record<string, unknown>;
}

/** Query parameters from the zod schema that validates them. */
function queryParameters(schema: z.ZodObject, descriptions: Record<string, string>) {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties: Record<string, Record<string, unknown>> };
  return Object.entries(json.properties).map(([name, s]) => ({ name, in: 'query', required: false, description: descriptions[name] ?? '', schema: s }));
}

const AGENT = '550e8400-e29b-41d4-a716-446655440000';
const replayExample = {
  id: '01a20c5a-00d8-7004-84c8-cb241d624f97', channel: 'replay:audit', status: 'completed', filter: { aggregate_type: 'task', from: '2026-11-01T00:00:00.000000+00:00' },
  up_to: 98311, last_position: 98211, published: 5120, error: null, created_at: '2026-11-23T01:44:44.123456Z', updated_at: '2026-11-23T01:44:49.654321Z',
};
const savedExample = { name: 'failed-tasks', filter: { event_type: 'task.failed', order: 'desc' }, created_at: '2026-11-23T01:44:44.123456Z', updated_at: '2026-11-23T01:44:44.123456Z' };
const nameParam = { name: 'name', in: 'path', required: true, schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' } };

/** What the console's second phase adds to the OpenAPI document. */
export function consoleOpenApi({ json, problem, secured, common }: OpenApiHelpers) {
  const paths = {
    '/stats': {
      get: {
        summary: 'Event counts per bucket and event type, from rollups', operationId: 'getStats', ...secured,
        parameters: queryParameters(statsQuerySchema, {
          bucket: 'minute, hour (default) or day; buckets are UTC', from: 'ISO 8601, aligned down to its bucket; default: 60 minutes, 24 hours or 30 days before to',
          to: 'ISO 8601, exclusive, aligned up to a bucket boundary; default: the end of the current bucket', aggregate_type: 'exact match', event_type: 'exact match',
        }),
        responses: {
          '200': { description: `Counts; at most ${STATS_MAX_BUCKETS} buckets per answer`, ...json('Stats', 'GET /stats 200', statsSchema, { bucket: 'hour', from: '2026-11-23T00:00:00Z', to: '2026-11-24T00:00:00Z', up_to: 1234, buckets: [{ start: '2026-11-23T01:00:00Z', counts: { 'agent.created': 3, 'task.created': 1 } }], totals: { 'agent.created': 3, 'task.created': 1 } }) },
          ...common,
        },
      },
    },
    '/auth/key': {
      get: {
        summary: "The presented key's label and scopes (never the secret)", operationId: 'getAuthKey', ...secured,
        responses: { '200': { description: 'The key, or auth: open when no key is needed', ...json('AuthKey', 'GET /auth/key 200', authKeySchema, { auth: 'key', label: 'key1', scopes: ['read'] }) }, ...common },
      },
    },
    '/saved-queries': {
      get: { summary: 'Saved event-browser filters, by name', operationId: 'listSavedQueries', ...secured, responses: { '200': { description: 'The saved queries', ...json('SavedQueryList', 'GET /saved-queries 200', savedQueryListSchema, { saved_queries: [savedExample] }) }, ...common } },
    },
    '/saved-queries/{name}': {
      get: { summary: 'One saved query', operationId: 'getSavedQuery', ...secured, parameters: [nameParam], responses: { '200': { description: 'The saved query', ...json('SavedQuery', 'GET /saved-queries/{name} 200', savedQuerySchema, savedExample) }, '404': problem('No such saved query'), ...common } },
      put: {
        summary: 'Save a filter under a name (admin)', operationId: 'putSavedQuery', ...secured, parameters: [nameParam],
        requestBody: { required: true, ...json('SavedQueryWrite', 'PUT /saved-queries/{name} request', savedQueryBody, { filter: { event_type: 'task.failed', order: 'desc' } }) },
        responses: { '201': { description: 'Created; Location: /saved-queries/{name}', content: { 'application/json': { schema: { $ref: '#/components/schemas/SavedQuery' } } } }, '200': { description: 'Replaced', content: { 'application/json': { schema: { $ref: '#/components/schemas/SavedQuery' } } } }, '422': problem('A filter GET /events would refuse'), ...common },
      },
      delete: { summary: 'Delete a saved query (admin)', operationId: 'deleteSavedQuery', ...secured, parameters: [nameParam], responses: { '204': { description: 'Deleted' }, '404': problem('No such saved query'), ...common } },
    },
  };
  return {
    paths,
    /** GET /aggregates/{type}/{id}'s at_sequence, and its 404 past the current sequence. */
    aggregateParameters: queryParameters(aggregateQuerySchema, { at_sequence: 'the state after this event (1 to the current sequence); 404 with current_sequence past it' }),
    replayList: {
      summary: 'Replays, newest first', operationId: 'listReplays', ...secured,
      parameters: queryParameters(replayListQuerySchema, { status: 'only replays in this status', limit: '1 to 100, default 20' }),
      responses: { '200': { description: 'The replays', ...json('ReplayList', 'GET /replays 200', replayListSchema, { replays: [replayExample] }) }, ...common },
    },
    replayPreview: { description: 'dry_run: what would be replayed now, counted; nothing starts', ...json('ReplayPreview', 'POST /replays dry_run 200', replayPreviewSchema, { dry_run: true, events: 5120, up_to: 98311, channel: null, filter: { aggregate_type: 'task' } }) },
  };
}
