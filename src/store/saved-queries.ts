import { type Connections, sqlConnections } from '../postgres/connections.ts';
import type { Sql } from '../postgres/database.ts';

export interface SavedQuery {
  name: string;
  /** GET /events parameters by their API names, e.g. { "event_type": "task.created" }. */
  filter: Record<string, string | number>;
  created_at: string;
  updated_at: string;
}

type Row = Omit<SavedQuery, 'filter'> & { filter: string };
const columns = (sql: Sql) => sql`name, filter::text as filter,
  to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_at,
  to_char(updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as updated_at`;
const toQuery = (row: Row): SavedQuery => ({ ...row, filter: JSON.parse(row.filter) as SavedQuery['filter'] });

export function createSavedQueries(on: Connections | Sql) {
  const connections = typeof on === 'function' ? sqlConnections(on) : on;
  const use = connections.use.bind(connections);
  // Writes on the primary when reads are on a replica.
  const write = (connections.writes ?? connections).use.bind(connections.writes ?? connections);
  return {
    list: () => use(async (sql) => (await sql<Row[]>`select ${columns(sql)} from saved_queries order by name`).map(toQuery)),
    get: (name: string) => use(async (sql) => {
      const [row] = await sql<Row[]>`select ${columns(sql)} from saved_queries where name = ${name}`;
      return row ? toQuery(row) : undefined;
    }),
    put: (name: string, filter: SavedQuery['filter']) => write(async (sql) => {
      const [row] = await sql<(Row & { created: boolean })[]>`
        insert into saved_queries as q (name, filter) values (${name}, ${JSON.stringify(filter)}::text::jsonb)
        on conflict (name) do update set filter = excluded.filter, updated_at = now()
        returning ${columns(sql)}, (xmax = 0) as created`;
      const { created, ...query } = row!;
      return { query: toQuery(query), created };
    }),
    delete: (name: string) => write(async (sql) => (await sql`delete from saved_queries where name = ${name}`).count > 0),
  };
}

export type SavedQueries = ReturnType<typeof createSavedQueries>;
