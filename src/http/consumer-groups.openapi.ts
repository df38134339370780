import type { z } from 'zod';
import { consumerGroupsSchema, parkedPageSchema, parkedReplayRequestSchema, parkedReplayResultSchema } from './consumer-groups.schemas.ts';

/** The helpers of createOpenApi() this fragment describes its routes with. */
export interface OpenApiHelpers {
  json(schemaId: string, where: string, schema: z.ZodType, value: unknown): object;
  problem(description: string, value?: unknown): object;
  q(name: string, description: string, schema?: Record<string, unknown>): object;
  secured: object;
  common: Record<string, object>;
}

const EXAMPLE_EVENT = {
  id: '01a20c5a-00d8-7004-84c8-cb241d624f97', event_type: 'task.completed', aggregate_type: 'task', aggregate_id: '550e8400-e29b-41d4-a716-446655440000',
  sequence: 2, position: 1234, payload: {}, metadata: {}, version: 1, created_at: '2026-11-23T01:44:44.123456Z',
};

/** The /consumer-groups routes (SPEC §9) in the OpenAPI document. */
export function consumerGroupsPaths({ json, problem, q, secured, common }: OpenApiHelpers) {
  const path = [
    { name: 'aggregate_type', in: 'path', required: true, schema: { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,63}$' } },
    { name: 'group', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' } },
  ];
  const unavailable = { '503': problem('PostgreSQL or Redis unavailable') };
  return {
    '/consumer-groups': {
      get: {
        summary: 'Consumer groups of the Redis Streams mirror: consumers, pending, lag, oldest pending, parked', operationId: 'listConsumerGroups', ...secured,
        parameters: [q('aggregate_type', 'only this type\'s stream', { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,63}$' })],
        responses: {
          '200': { description: 'One row per stream and group', ...json('ConsumerGroups', 'GET /consumer-groups 200', consumerGroupsSchema, { groups: [{ aggregate_type: 'task', stream: 'stream:events:task', group: 'billing', consumers: 2, pending: 3, lag: 10, oldest_pending_seconds: 1.5, parked: 1, last_delivered_position: 1224 }] }) },
          ...common, ...unavailable,
        },
      },
    },
    '/consumer-groups/{aggregate_type}/{group}/parked': {
      get: {
        summary: "The group's parked events (dead letters), oldest first", operationId: 'listParkedEvents', ...secured,
        parameters: [...path, q('after', 'entry id cursor (next_after of the previous page)', { type: 'string' }), q('limit', '1 to 1000, default 100', { type: 'integer', minimum: 1, maximum: 1000 })],
        responses: {
          '200': { description: 'A page of parked events', ...json('ParkedEvents', 'GET parked 200', parkedPageSchema, { parked: [{ id: '1767225600000-0', event: EXAMPLE_EVENT, error: 'cannot handle this one', attempts: 5, consumer: 'worker-1', source: 'stream', parked_at: '2026-11-23T01:45:00.000Z' }], next_after: null }) },
          '404': problem('No such group on the stream'), ...common, ...unavailable,
        },
      },
    },
    '/consumer-groups/{aggregate_type}/{group}/parked/replay': {
      post: {
        summary: "Sends parked events back to the group's consume() consumers (given ids, or the oldest limit)", operationId: 'replayParkedEvents', ...secured, parameters: path,
        requestBody: { required: true, ...json('ParkedReplayRequest', 'POST parked/replay request', parkedReplayRequestSchema, { limit: 100 }) },
        responses: {
          '200': { description: 'The parked entries moved to the replay stream', ...json('ParkedReplayResult', 'POST parked/replay 200', parkedReplayResultSchema, { replayed: 1, ids: ['1767225600000-0'] }) },
          '404': problem('No such group on the stream'), '413': problem('Body over the limit'), '415': problem('Not application/json'), '422': problem('The body breaks a rule'), ...common, ...unavailable,
        },
      },
    },
  };
}
