import { Hono, type Context } from 'hono';
import type { EventTypeRegistry } from '../aggregates/event-types.ts';
import { validatePayloads } from '../aggregates/payload-validation.ts';
import { AppError, validationFailed } from '../errors.ts';
import { parseAppendBody, parseBatchBody } from '../events/append-input.ts';
import type { NewEvent } from '../events/event.ts';
import { isUuid } from '../events/names.ts';
import { parseEventQuery } from '../events/query-input.ts';
import type { AppendQueue } from '../store/append-queue.ts';
import type { Database } from '../store/database.ts';
import { getEvent, queryEvents } from '../store/event-store.ts';
import { readJsonBody } from './json-body.ts';

export interface EventsRoutesDeps {
  database: Database;
  appendQueue: AppendQueue;
  maxBodyBytes: number;
  eventTypes: EventTypeRegistry;
  rejectUnregisteredEventTypes: boolean;
}

const json = (c: Context, body: string, status: 200 | 201, headers: Record<string, string> = {}) =>
  c.newResponse(body, status, { 'content-type': 'application/json', ...headers });

/** /events: append one, append a batch, get one, query. */
export function createEventsRoutes({ database, appendQueue, maxBodyBytes, eventTypes, rejectUnregisteredEventTypes }: EventsRoutesDeps) {
  // Payloads are checked before an event joins the group-commit queue, so one client's invalid
  // payload never fails another client's transaction.
  function checkPayloads(events: NewEvent[], prefix: (i: number) => string) {
    const errors = validatePayloads(eventTypes, events, rejectUnregisteredEventTypes, prefix);
    if (errors.length > 0) throw validationFailed(errors, 'the payload does not match its registered schema');
  }

  async function append(events: NewEvent[]) {
    const outcome = await appendQueue.append(events);
    if (!outcome.ok) throw outcome.error;
    return { records: outcome.events, created: outcome.events.some((e) => e.created) };
  }

  return new Hono()
    .post('/', async (c) => {
      const event = parseAppendBody(await readJsonBody(c, maxBodyBytes));
      checkPayloads([event], () => '');
      const { records, created } = await append([event]);
      // 201 for a new event; 200 with the stored original for an idempotent resend.
      return json(c, records[0]!.json, created ? 201 : 200, created ? { location: `/events/${event.id}` } : {});
    })
    .post('/batch', async (c) => {
      const events = parseBatchBody(await readJsonBody(c, maxBodyBytes));
      checkPayloads(events, (i) => `/events/${i}`);
      const { records, created } = await append(events);
      return json(c, `{"events":[${records.map((r) => r.json).join(',')}]}`, created ? 201 : 200);
    })
    .get('/', async (c) => {
      const query = parseEventQuery(c.req.queries());
      const page = await queryEvents(database.sql, query);
      return json(c, `{"events":[${page.events.join(',')}],"next_after":${page.nextAfter}}`, 200);
    })
    .get('/:id', async (c) => {
      const id = c.req.param('id');
      if (!isUuid(id)) throw new AppError('malformed_request', 'the event id must be a UUID', { errors: [{ pointer: '/id', detail: 'must be a UUID' }] });
      const event = await getEvent(database.sql, id.toLowerCase());
      if (!event) throw new AppError('not_found', `no event with id ${id}`);
      return json(c, event, 200);
    });
}
