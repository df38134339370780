export interface EventRecord {
  position: number;
  aggregateType: string;
  json: string;
}

// position and aggregate_type come before payload and metadata in event_json(), so the first
// match is the event's own: reading them back avoids parsing the whole event.
const POSITION = /"position":(\d+)/;
const AGGREGATE_TYPE = /"aggregate_type":"([^"]+)"/;

export function positionOf(json: string): number {
  return Number(POSITION.exec(json)![1]);
}

export function eventRecord(json: string, aggregateType = AGGREGATE_TYPE.exec(json)![1]!): EventRecord {
  return { json, aggregateType, position: positionOf(json) };
}
