import { AppError } from '../errors.ts';
import type { NewEvent } from '../events/event.ts';
import type { Sql } from '../postgres/database.ts';
import { isMissingPartition } from '../postgres/errors.ts';
import { eventRecord, type EventRecord } from './event-record.ts';

export type AppendOutcome =
  | { ok: true; events: (EventRecord & { created: boolean })[] }
  | { ok: false; error: AppError; /** the failure is an id whose event has left PostgreSQL (archived or deleted) */ moved?: true };

interface AppendRow {
  r_idx: number;
  r_status: 'created' | 'duplicate' | 'conflict' | 'id_conflict' | 'moved' | 'skipped';
  r_current_sequence: string | null;
  r_event: string | null;
}

/** Appends several requests in one append_events() call (docs/ordering.md); each is all or nothing. Ids must be unique across requests. */
export async function appendRequests(sql: Sql, requests: NewEvent[][]): Promise<AppendOutcome[]> {
  const items: unknown[] = [];
  requests.forEach((events, grp) => {
    for (const e of events) {
      items.push({
        idx: items.length, grp, id: e.id, event_type: e.eventType, aggregate_type: e.aggregateType,
        aggregate_id: e.aggregateId, payload: e.payload, metadata: e.metadata, version: e.version,
        expected_sequence: e.expectedSequence, ...(e.correlationFromHeader && { correlation_from_header: true }),
      });
    }
  });
  // Sent as text and cast in SQL: the driver's own jsonb serialiser would encode it twice.
  const text = JSON.stringify(items);
  const rows = await withPartitions(sql, items.length, () =>
    sql<AppendRow[]>`select r_idx, r_status, r_current_sequence, r_event from append_events(${text}::text::jsonb)`);
  return outcomesOf(requests, rows);
}

/** Runs an append, and again after making partitions if a concurrent partition-size change left it without one. */
async function withPartitions<T>(sql: Sql, events: number, append: () => Promise<T>): Promise<T> {
  try {
    return await append();
  } catch (error) {
    if (!isMissingPartition(error)) throw error;
    await sql`select events_add_partitions((select last_position from events_head) + ${events} + 1)`;
    return append();
  }
}

function outcomesOf(requests: NewEvent[][], rows: AppendRow[]): AppendOutcome[] {
  let offset = 0;
  return requests.map((events) => {
    const mine = rows.slice(offset, offset + events.length);
    offset += events.length;
    const failed = mine.findIndex((r) => r.r_status === 'conflict' || r.r_status === 'id_conflict' || r.r_status === 'moved');
    if (failed >= 0) return { ok: false, error: failure(events, failed, mine[failed]!), ...(mine[failed]!.r_status === 'moved' ? { moved: true as const } : {}) };
    return {
      ok: true,
      events: mine.map((r, i) => ({ ...eventRecord(r.r_event!, events[i]!.aggregateType), created: r.r_status === 'created' })),
    };
  });
}

/** `index` is the item's place in its request; POST /events, whose request is one event, drops it. */
function failure(events: NewEvent[], index: number, row: AppendRow): AppError {
  const e = events[index]!;
  const where = { index };
  if (row.r_status === 'moved') {
    // Comparing a resend with an event in the archive tier is the archive reader's job.
    return new AppError('id_conflict', `an event with id ${e.id} was stored and has left PostgreSQL (archived or deleted)`, { id: e.id, ...where });
  }
  if (row.r_status === 'id_conflict') {
    return new AppError('id_conflict', `an event with id ${e.id} is already stored with a different body`, { id: e.id, ...where });
  }
  const current = Number(row.r_current_sequence);
  // In a batch, the sequence this item meets counts the batch's earlier events of its aggregate.
  const counted = events.slice(0, index).some((o) => o.aggregateId === e.aggregateId && o.aggregateType === e.aggregateType);
  return new AppError(
    'sequence_conflict',
    `expected_sequence ${e.expectedSequence} but ${e.aggregateType} ${e.aggregateId} is at sequence ${current}${counted ? ' with the batch\'s earlier events of it' : ''}`,
    { aggregate_type: e.aggregateType, aggregate_id: e.aggregateId, expected_sequence: e.expectedSequence, current_sequence: current, ...where },
  );
}
