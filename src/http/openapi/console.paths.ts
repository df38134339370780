import { z } from 'zod';
import { replayListQuerySchema } from '../replay-list-query.ts';
import { SAVED_QUERY_NAME } from '../saved-query-body.ts';
import { STATS_MAX_BUCKETS, statsQuerySchema } from '../stats-query.ts';
import { replayExample } from './examples.ts';
import { json, locationHeader, type OperationSpec } from './operation.ts';

const consoleAssetPath = z.object({ file: z.string().min(1).describe('a file of the console, such as app.js or lib/api.js (its "/" may be sent as %2F)') });
const savedPath = z.object({ name: z.string().regex(SAVED_QUERY_NAME).describe('the saved query') });
const notModified = { description: 'Not modified: If-None-Match named the current ETag' };
const saved = { name: 'failed-tasks', filter: { event_type: 'task.failed', order: 'desc' }, created_at: '2026-11-23T01:44:44.123456Z', updated_at: '2026-11-23T01:44:44.123456Z' };

export function consoleOperations(): OperationSpec[] {
  const tag = 'console';
  return [
    {
      method: 'get', path: '/stats', operationId: 'getStats', tag, summary: 'Event counts per bucket and event type, from rollups',
      description: `Buckets are UTC; from is aligned down and to up to whole buckets; at most ${STATS_MAX_BUCKETS} buckets per answer. Counts are of events appended, whatever tier holds them now.`,
      query: statsQuerySchema,
      answers: { 200: json('Counts', 'Stats', { bucket: 'hour', from: '2026-11-23T00:00:00Z', to: '2026-11-24T00:00:00Z', up_to: 1234, buckets: [{ start: '2026-11-23T01:00:00Z', counts: { 'agent.created': 3 } }], totals: { 'agent.created': 3 } }) },
    },
    {
      method: 'get', path: '/auth/key', operationId: 'getAuthKey', tag, summary: "The presented key's label and scopes (never the secret)",
      answers: { 200: json('The key, or auth: open when no key is needed', 'AuthKey', { auth: 'key', label: 'key1', scopes: ['read'] }) },
    },
    {
      method: 'get', path: '/saved-queries', operationId: 'listSavedQueries', tag, summary: 'Saved event-browser filters, by name',
      answers: { 200: json('The saved queries', 'SavedQueryList', { saved_queries: [saved] }) },
    },
    {
      method: 'get', path: '/saved-queries/{name}', operationId: 'getSavedQuery', tag, summary: 'One saved query',
      pathParameters: savedPath, answers: { 200: json('The saved query', 'SavedQuery', saved) }, problems: [400, 404],
    },
    {
      method: 'put', path: '/saved-queries/{name}', operationId: 'putSavedQuery', tag, summary: 'Save a filter under a name (admin)',
      pathParameters: savedPath, body: { schema: 'SavedQueryWrite', example: { filter: { event_type: 'task.failed', order: 'desc' } } },
      answers: { 201: json('Created', 'SavedQuery', saved, locationHeader('saved query')), 200: json('Replaced', 'SavedQuery', saved) },
    },
    {
      method: 'delete', path: '/saved-queries/{name}', operationId: 'deleteSavedQuery', tag, summary: 'Delete a saved query (admin)',
      pathParameters: savedPath, answers: { 204: { description: 'Deleted' } }, problems: [400, 404],
    },
    {
      method: 'get', path: '/admin', operationId: 'adminConsole', tag, summary: 'The admin console: an HTML page using this API (no key needed for the page itself)',
      description: 'Every other path under /admin (not /admin/assets/) is one of its views and gets the same page.',
      answers: { 200: { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } }, 304: notModified },
    },
    {
      method: 'get', path: '/admin/assets/{file}', operationId: 'adminConsoleAsset', tag, summary: 'A script or style sheet of the admin console',
      pathParameters: consoleAssetPath,
      answers: { 200: { description: 'The asset', content: { 'text/javascript': { schema: { type: 'string' } }, 'text/css': { schema: { type: 'string' } }, 'text/html': { schema: { type: 'string' } } } }, 304: notModified },
      problems: [404],
    },
    {
      method: 'get', path: '/replays', operationId: 'listReplays', tag: 'replays', summary: 'Replays, newest first',
      query: replayListQuerySchema, answers: { 200: json('The replays', 'ReplayList', { replays: [replayExample] }) },
    },
  ];
}
