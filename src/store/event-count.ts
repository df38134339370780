import type { EventQuery } from '../events/query-input.ts';
import type { ArchiveReader } from '../lifecycle/archive-reader.ts';
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

const CHUNK = 10_000;

/** Archived events matching `filter` in (filter.after, upTo], read a chunk at a time through the reader's bounded cache. */
export async function countArchived(sql: Sql, archive: ArchiveReader, filter: EventFilter, upTo: number): Promise<number> {
  let after = filter.after ?? 0;
  let counted = 0;
  for (;;) {
    const q = { ...filter, after, limit: CHUNK, offset: 0, order: 'asc' as const };
    const first = await archive.segments(sql, q);
    if (first.length === 0) return counted;
    const rows = await archive.readQuery(sql, q, first, { lo: after, hi: upTo + 1 }, CHUNK);
    counted += rows.length;
    if (rows.length < CHUNK) return counted;
    after = rows[rows.length - 1]!.position;
  }
}
