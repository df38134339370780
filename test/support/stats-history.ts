import type postgres from 'postgres';
import { insertEvents, type RawEvent } from './stats-events.ts';

/**
 * A day of traffic for the overview's chart, the 23 hours before the current one: per hour, a daytime rise in
 * task and agent events and a steady trickle of plan approvals. Stored straight into the
 * table before anything else is appended (created_at must not decrease along position).
 */
export async function seedHistory(sql: postgres.Sql, now = Date.now()): Promise<number> {
  const hour = 3_600_000;
  const start = Math.floor(now / hour) * hour - 23 * hour;
  const events: RawEvent[] = [];
  for (let h = 0; h < 23; h++) {
    const day = Math.round(40 * Math.max(0, Math.sin(((h + 3) / 24) * Math.PI * 2 - Math.PI / 2) + 0.4));
    const mix: [string, number][] = [['task.created', day], ['task.completed', Math.round(day * 0.8)], ['agent.renamed', Math.round(day / 3)], ['plan.approved', 4]];
    const hourEvents = mix.flatMap(([type, n]) => Array.from({ length: n }, () => type));
    hourEvents.forEach((type, i) => events.push({ eventType: type, at: start + h * hour + Math.floor((i * hour) / (hourEvents.length + 1)) }));
  }
  events.sort((a, b) => a.at - b.at);
  await insertEvents(sql, events);
  return events.length;
}
