import type { EventQuery } from '../events/query-input.ts';
import { positionOf } from '../events/event.ts';
import type { EventPage, EventStore } from '../store/event-store.ts';

export interface SharedPage {
  page: EventPage;
  /** Every matching event at or below this position is in the page or before `q.after`. */
  covers: number;
  /** The page's events as Server-Sent Events (`id` the position), encoded once for every reader. */
  sse: string;
  /** The position of the page's last event (`q.after` when it has none). */
  last: number;
}

function answer(page: EventPage, covers: number, after: number): SharedPage {
  let sse = '';
  let last = after;
  for (const json of page.events) {
    last = positionOf(json);
    sse += `id: ${last}\ndata: ${json}\n\n`;
  }
  return { page, covers, sse, last };
}

// One query per page for readers with the same filters, cursor and floor. A query in flight is shared with anyone; a
// settled one, for `keepMs`, only with readers that saw no later head, so none is handed the same page twice.
export function createSharedPages(store: Pick<EventStore, 'atLeast'>, keepMs = 250) {
  const pages = new Map<string, { answer: Promise<SharedPage>; covers: number; settled: boolean }>();
  return function sharedPage(floor: number, head: number, q: EventQuery): Promise<SharedPage> {
    const key = JSON.stringify([floor, q.after, q.limit, q.offset, q.order, q.aggregateType, q.aggregateId, q.eventType, q.correlationId, q.from, q.to, q.tier, q.minPosition]);
    const shared = pages.get(key);
    if (shared && (!shared.settled || shared.covers >= head)) return shared.answer;
    const entry = { answer: store.atLeast(Math.max(floor, head)).query(q).then((page) => answer(page, head, q.after ?? 0)), covers: head, settled: false };
    pages.set(key, entry);
    const forget = () => {
      if (pages.get(key) === entry) pages.delete(key);
    };
    entry.answer.then(() => {
      entry.settled = true;
      setTimeout(forget, keepMs).unref();
    }, forget);
    return entry.answer;
  };
}
