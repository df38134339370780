import { Hono } from 'hono';
import { AppError } from '../errors.ts';
import type { SavedQueries } from '../store/saved-queries.ts';
import { readJsonBody } from './json-body.ts';
import { parseSavedQueryBody, parseSavedQueryName } from './saved-query-body.ts';

export function createSavedQueriesRoutes({ savedQueries, maxBodyBytes }: { savedQueries: SavedQueries; maxBodyBytes: number }) {
  const notFound = (name: string) => new AppError('not_found', `no saved query ${name}`);
  return new Hono()
    .get('/', async (c) => c.json({ saved_queries: await savedQueries.list() }))
    .get('/:name', async (c) => {
      const query = await savedQueries.get(parseSavedQueryName(c.req.param('name')));
      if (!query) throw notFound(c.req.param('name'));
      return c.json(query);
    })
    .put('/:name', async (c) => {
      const name = parseSavedQueryName(c.req.param('name'));
      const { query, created } = await savedQueries.put(name, parseSavedQueryBody(await readJsonBody(c, maxBodyBytes)));
      return c.json(query, created ? 201 : 200, created ? { location: `/saved-queries/${name}` } : {});
    })
    .delete('/:name', async (c) => {
      const name = parseSavedQueryName(c.req.param('name'));
      if (!(await savedQueries.delete(name))) throw notFound(name);
      return c.body(null, 204);
    });
}
