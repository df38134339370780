import { Hono, type Context } from 'hono';
import type { EventTypeRegistry } from '../aggregates/event-types.ts';
import { validatePayloads } from '../aggregates/payload-validation.ts';
import { AppError, validationFailed, withIndex } from '../errors.ts';
import { parseAppendBody, parseBatchBody } from '../events/append-input.ts';
import type { NewEvent } from '../events/event.ts';
import { parseEventQuery } from '../events/query-input.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { AppendQueue } from '../store/append-queue.ts';
import type { EventStore } from '../store/event-store.ts';
import { readJsonBody } from './json-body.ts';
import { CORRELATION_HEADER_RULE } from './request-context.ts';
import { readEventByIdQuery, readFloor } from './min-position.ts';
import { eventPath, readPath } from './path-params.ts';

export interface EventsRoutesDeps {
  store: EventStore;
  appendQueue: AppendQueue;
  maxBodyBytes: number;
  eventTypes: EventTypeRegistry;
  rejectUnregisteredEventTypes: boolean;
  maxBatchEvents: number;
  maxQueryLimit: number;
  metrics: Metrics;
}

const json = (c: Context, body: string | Uint8Array<ArrayBuffer>, status: 200 | 201, headers: Record<string, string> = {}) =>
  c.newResponse(body, status, { 'content-type': 'application/json', ...headers });

export function createEventsRoutes(deps: EventsRoutesDeps) {
  const { store, appendQueue, maxBodyBytes, eventTypes, rejectUnregisteredEventTypes, metrics } = deps;
  // Checked before joining the group-commit queue, so one client's invalid payload never fails another's transaction.
  function checkPayloads(events: NewEvent[], prefix: (i: number) => string) {
    const errors = validatePayloads(eventTypes, events, rejectUnregisteredEventTypes, prefix);
    if (errors.length > 0) throw validationFailed(errors, 'the payload does not match its registered schema');
  }

  // The header's correlation id is marked as such: a gateway may give each attempt its own, and a
  // resend is the same event whatever it carries (see append_events_careful in drizzle/0013_*.sql).
  function withCorrelation(c: Context, events: NewEvent[]): NewEvent[] {
    const correlationId = c.get('correlationId' as never) as string | null | undefined;
    if (correlationId === undefined) return events;
    if (correlationId === null) throw new AppError('malformed_request', CORRELATION_HEADER_RULE);
    return events.map((e) => (e.metadata.correlation_id === undefined ? { ...e, metadata: { ...e.metadata, correlation_id: correlationId }, correlationFromHeader: true } : e));
  }

  async function append(events: NewEvent[], route: 'single' | 'batch') {
    const stop = metrics.appendDuration.startTimer({ route });
    try {
      const outcome = await appendQueue.append(events);
      if (!outcome.ok) {
        const kind = outcome.error.code === 'sequence_conflict' || outcome.error.code === 'id_conflict' ? 'conflict' : 'refused';
        for (const e of events) metrics.appends.inc({ event_type: metrics.eventTypeLabel(e.eventType), outcome: kind });
        throw route === 'single' ? withIndex(outcome.error, undefined) : outcome.error;
      }
      outcome.events.forEach((r, i) => metrics.appends.inc({ event_type: metrics.eventTypeLabel(events[i]!.eventType), outcome: r.created ? 'created' : 'duplicate' }));
      return { records: outcome.events, created: outcome.events.some((e) => e.created) };
    } finally {
      stop();
    }
  }

  return new Hono()
    .post('/', async (c) => {
      const [event] = withCorrelation(c, [parseAppendBody(await readJsonBody(c, maxBodyBytes))]) as [NewEvent];
      checkPayloads([event], () => '');
      const { records, created } = await append([event], 'single');
      return json(c, records[0]!.json, created ? 201 : 200, created ? { location: `/events/${event.id}` } : {});
    })
    .post('/batch', async (c) => {
      const events = withCorrelation(c, parseBatchBody(await readJsonBody(c, maxBodyBytes), deps.maxBatchEvents));
      checkPayloads(events, (i) => `/events/${i}`);
      const { records, created } = await append(events, 'batch');
      return json(c, `{"events":[${records.map((r) => r.json).join(',')}]}`, created ? 201 : 200);
    })
    .get('/', async (c) => {
      const query = parseEventQuery(c.req.queries(), deps.maxQueryLimit);
      return json(c, await store.atLeast(readFloor(c, query.minPosition)).queryBody(query), 200);
    })
    .get('/:id', async (c) => {
      // /events/batch is a route of its own: a GET there is the app's 405, not a malformed id.
      if (c.req.param('id') === 'batch') return c.notFound();
      const { id } = readPath(eventPath, c.req.param(), 'the event id must be a UUID');
      const query = readEventByIdQuery(c.req.queries());
      const event = await store.atLeast(readFloor(c, query.min_position)).getEvent(id, { tier: query.tier });
      if (!event) throw new AppError('not_found', `no event with id ${id}`);
      return json(c, event, 200);
    });
}
