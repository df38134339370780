import { replayPath } from '../path-params.ts';
import { replayExample } from './examples.ts';
import { json, locationHeader, type OperationSpec } from './operation.ts';

export function replaysOperations(): OperationSpec[] {
  const tag = 'replays';
  return [
    {
      method: 'post', path: '/replays', operationId: 'startReplay', tag, summary: 'Replay stored events to Redis',
      description: 'Publishes the stored events that match the filter, up to the head at the start, in position order.',
      body: { schema: 'ReplayRequest', example: { filter: { aggregate_type: 'task', from: '2026-11-01' }, channel: 'replay:audit' } },
      answers: {
        202: json('Started', 'ReplayAccepted', { id: replayExample.id, channel: 'replay:audit', status: 'running' }, locationHeader('replay')),
        200: json('dry_run: what would be replayed now, counted; nothing starts', 'ReplayPreview', { dry_run: true, events: 5120, up_to: 98311, channel: null, filter: { aggregate_type: 'task' } }),
      },
    },
    {
      method: 'get', path: '/replays/{id}', operationId: 'getReplay', tag, summary: 'Replay status',
      pathParameters: replayPath,
      answers: { 200: json('Status and counts', 'Replay', replayExample) },
      problems: [400, 404],
    },
    {
      method: 'delete', path: '/replays/{id}', operationId: 'cancelReplay', tag, summary: 'Cancel a replay',
      pathParameters: replayPath,
      answers: { 200: json('Status after cancelling (a finished replay as it was)', 'Replay', { ...replayExample, status: 'cancelled' }) },
      problems: [400, 404],
    },
  ];
}
