import { positionOf } from '../events/event.ts';

export interface EventRecord {
  position: number;
  aggregateType: string;
  json: string;
}

// aggregate_type comes before payload and metadata in event_json(), as position does (positionOf).
const AGGREGATE_TYPE = /"aggregate_type":"([^"]+)"/;

export function eventRecord(json: string, aggregateType = AGGREGATE_TYPE.exec(json)![1]!): EventRecord {
  return { json, aggregateType, position: positionOf(json) };
}
