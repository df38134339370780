import { Hono } from 'hono';
import { defineAggregate, foldEvents } from '../../src/aggregates/aggregate.ts';
import type { TestService } from './service.ts';

interface Counter { total: number; labels: string[] }
export const counter = defineAggregate<Counter>({
  type: 'counter',
  initialState: { total: 0, labels: [] },
  handlers: {
    'counter.incremented': (s, e) => ({ ...s, total: s.total + (e.payload.by as number) }),
    'counter.labelled': (s, e) => ({ ...s, labels: [...s.labels, e.payload.label as string] }),
  },
});

/**
 * Stands in for the server of a later phase: the service's API, plus `at_sequence` on
 * GET /aggregates/counter/{id} (documented in its OpenAPI), folded from the real events.
 */
export function withStateAtSequence(app: TestService['app']) {
  const standIn = new Hono();
  standIn.get('/openapi.json', async (c) => {
    const doc = (await (await app.request('/openapi.json')).json()) as any;
    const op = doc.paths['/aggregates/{type}/{id}'].get;
    op.parameters = [...(op.parameters ?? []), { name: 'at_sequence', in: 'query', schema: { type: 'integer', minimum: 1 } }];
    return c.json(doc);
  });
  standIn.get('/aggregates/counter/:id', async (c) => {
    const n = Number(c.req.query('at_sequence'));
    if (!n) return app.fetch(c.req.raw);
    const page = (await (await app.request(`/events?aggregate_type=counter&aggregate_id=${c.req.param('id')}&limit=1000`)).json()) as { events: any[] };
    const events = page.events.filter((e: { sequence: number }) => e.sequence <= n);
    return c.json({ aggregate_type: 'counter', aggregate_id: c.req.param('id'), sequence: n, state: foldEvents(counter, counter.initialState(), events) });
  });
  standIn.all('*', (c) => app.fetch(c.req.raw));
  return standIn;
}
