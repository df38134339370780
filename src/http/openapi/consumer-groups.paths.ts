import { consumerGroupPath, consumerGroupsQuery, parkedQuery } from '../consumer-groups.schemas.ts';
import { json, type OperationSpec } from './operation.ts';

const event = {
  id: '01a20c5a-00d8-7004-84c8-cb241d624f97', event_type: 'task.completed', aggregate_type: 'task', aggregate_id: '550e8400-e29b-41d4-a716-446655440000',
  sequence: 2, position: 1234, payload: {}, metadata: {}, version: 1, created_at: '2026-11-23T01:44:44.123456Z',
};

export function consumerGroupsOperations(): OperationSpec[] {
  const tag = 'consumer-groups';
  return [
    {
      method: 'get', path: '/consumer-groups', operationId: 'listConsumerGroups', tag,
      summary: 'Consumer groups of the Redis Streams mirror: consumers, pending, lag, oldest pending, parked',
      query: consumerGroupsQuery,
      answers: { 200: json('One row per stream and group', 'ConsumerGroups', { groups: [{ aggregate_type: 'task', stream: 'stream:events:task', group: 'billing', consumers: 2, pending: 3, lag: 10, oldest_pending_seconds: 1.5, parked: 1, last_delivered_position: 1224 }] }) },
    },
    {
      method: 'get', path: '/consumer-groups/{aggregate_type}/{group}/parked', operationId: 'listParkedEvents', tag,
      summary: "The group's parked events (dead letters), oldest first",
      pathParameters: consumerGroupPath, query: parkedQuery,
      answers: { 200: json('A page of parked events', 'ParkedEvents', { parked: [{ id: '1767225600000-0', event, error: 'cannot handle this one', attempts: 5, consumer: 'worker-1', source: 'stream', parked_at: '2026-11-23T01:45:00.000Z' }], next_after: null }) },
      problems: [404],
    },
    {
      method: 'post', path: '/consumer-groups/{aggregate_type}/{group}/parked/replay', operationId: 'replayParkedEvents', tag,
      summary: "Sends parked events back to the group's consume() consumers (given ids, or the oldest limit)",
      pathParameters: consumerGroupPath,
      body: { schema: 'ParkedSelection', example: { limit: 100 } },
      answers: { 200: json('The parked entries moved to the replay stream', 'ParkedReplayResult', { replayed: 1, ids: ['1767225600000-0'] }) },
      problems: [404],
    },
    {
      method: 'post', path: '/consumer-groups/{aggregate_type}/{group}/parked/discard', operationId: 'discardParkedEvents', tag,
      summary: 'Deletes parked events the group is not to handle (given ids, or the oldest limit: one of them is required); the events stay in the store',
      pathParameters: consumerGroupPath,
      body: { schema: 'ParkedSelection', example: { ids: ['1767225600000-0'] } },
      answers: { 200: json('The parked entries deleted', 'ParkedDiscardResult', { discarded: 1, ids: ['1767225600000-0'] }) },
      problems: [404],
    },
  ];
}
