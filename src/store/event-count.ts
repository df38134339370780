import type { EventQuery } from '../events/query-input.ts';
import type { Sql } from '../postgres/database.ts';
import { filterConditions } from './event-query.ts';

export type EventFilter = Omit<EventQuery, 'limit' | 'offset' | 'order'>;

/** Events matching `filter` in (filter.after, upTo], counted in PostgreSQL, never loaded. */
export async function countEvents(sql: Sql, filter: EventFilter, upTo: number): Promise<number> {
  const params: (string | number)[] = [];
  const param = (value: string | number) => `$${params.push(value)}`;
  const where = [...filterConditions(filter, param), `e.position > ${param(filter.after ?? 0)}`, `e.position <= ${param(upTo)}`];
  const [row] = await sql.unsafe<{ n: string }[]>(`select count(*) as n from events e where ${where.join(' and ')}`, params);
  return Number(row!.n);
}
