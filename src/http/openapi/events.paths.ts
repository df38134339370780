import { eventByIdQuery, minPositionHeader } from '../min-position.ts';
import { eventFilterParameters, eventQueryParameters } from '../../events/query-input.ts';
import { eventPath } from '../path-params.ts';
import { correlationIdHeader } from '../request-context.ts';
import { lastEventIdHeader } from '../stream.routes.ts';
import { appendExample, storedExample } from './examples.ts';
import { json, locationHeader, type OperationSpec } from './operation.ts';

export function eventsOperations({ maxQueryLimit }: { maxQueryLimit: number }): OperationSpec[] {
  const tag = 'events';
  return [
    {
      method: 'post', path: '/events', operationId: 'appendEvent', tag, summary: 'Append one event',
      description: 'Stores the event with the next sequence of its aggregate and the next position. With a client-chosen id, a resend of the same body answers 200 with the stored event and stores nothing; a resend of an event deleted by retention answers 410.',
      body: { schema: 'AppendEvent', example: appendExample }, headers: correlationIdHeader,
      answers: {
        201: json('Stored', 'Event', storedExample, locationHeader('event')),
        200: json('An identical resend of a stored id: the stored event', 'Event'),
      },
      problems: [409, 410],
    },
    {
      method: 'post', path: '/events/batch', operationId: 'appendBatch', tag, summary: 'Append events atomically, in order',
      description: 'All or nothing; events of one aggregate get consecutive sequences. A conflict, or a resent event deleted by retention (410), names the item (index).',
      body: { schema: 'AppendBatch', example: { events: [appendExample, { ...appendExample, event_type: 'agent.renamed', payload: { name: 'x' } }] } }, headers: correlationIdHeader,
      answers: {
        201: json('All stored', 'BatchResult', { events: [storedExample] }),
        200: json('Every event was an identical resend: the stored events', 'BatchResult'),
      },
      problems: [409, 410],
    },
    {
      method: 'get', path: '/events', operationId: 'queryEvents', tag, summary: 'Query events in position order',
      description: 'Unknown or repeated parameters are refused (400), so a typo never widens a query to every event. next_after is the cursor of the next page, or null. A page ends after limit events or with the event that takes it to the service\'s MAX_PAGE_BYTES (4 MiB by default), so page on until next_after is null.',
      query: eventQueryParameters(maxQueryLimit),
      headers: minPositionHeader,
      answers: { 200: json('A page', 'EventPage', { events: [storedExample], next_after: null }) },
    },
    {
      method: 'get', path: '/events/{id}', operationId: 'getEvent', tag, summary: 'One event',
      pathParameters: eventPath, query: eventByIdQuery, headers: minPositionHeader,
      answers: { 200: json('The event', 'Event', storedExample) },
      problems: [400, 404, 410],
    },
    {
      method: 'get', path: '/events/stream', operationId: 'streamEvents', tag, summary: 'Server-Sent Events: catch up, then live',
      description: 'Starts after `after` or Last-Event-ID, else at the current head (new events only). Each message: id = position, data = the event JSON.',
      query: eventFilterParameters,
      headers: { 'Last-Event-ID': lastEventIdHeader, ...minPositionHeader },
      answers: { 200: { description: 'An event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } } },
      problems: [429],
    },
  ];
}
