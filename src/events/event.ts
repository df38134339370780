/** An event as a client asks to append it, after validation and defaults (SPEC §2, §3). */
export interface NewEvent {
  id: string;
  eventType: string;
  aggregateType: string;
  aggregateId: string;
  payload: Record<string, unknown>;
  metadata: Record<string, unknown>;
  version: number;
  /** null: no expectation; 0: the aggregate must not exist yet. */
  expectedSequence: number | null;
  /** metadata.correlation_id is X-Correlation-Id's, not the body's: a resend is compared without it (as one whose metadata has none). */
  correlationFromHeader?: true;
}

/** A stored event, the JSON shape every read returns and every Redis message carries. */
export interface StoredEvent {
  id: string;
  event_type: string;
  aggregate_type: string;
  aggregate_id: string;
  sequence: number;
  position: number;
  payload: Record<string, unknown>;
  metadata: Record<string, unknown>;
  version: number;
  created_at: string;
}

/** A stored snapshot of an aggregate's state after `sequence`, as reads return it. */
export interface Snapshot {
  aggregate_type: string;
  aggregate_id: string;
  schema_version: number;
  sequence: number;
  state: unknown;
  created_at: string;
}

// position comes before payload and metadata in event_json() (and every message the relay sends),
// so the first match is the event's own: reading it back avoids parsing the whole event.
const POSITION = /"position":(\d+)/;

/** The position of an event in its canonical JSON. */
export function positionOf(json: string): number {
  return Number(POSITION.exec(json)![1]);
}
