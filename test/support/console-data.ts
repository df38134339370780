import { expect } from 'vitest';
import { newId, postJson } from './http.ts';
import type { TestService } from './service.ts';

export interface StoredEvent {
  id: string;
  event_type: string;
  aggregate_type: string;
  aggregate_id: string;
  sequence: number;
  position: number;
  metadata: Record<string, unknown>;
}

/**
 * Events for the console's tests and screenshots, appended through the API: two agents and a
 * task sharing correlation ids, and a long run of one task's progress for paging.
 */
export async function seedConsoleData(t: TestService, headers: Record<string, string> = {}) {
  const agent = newId();
  const reviewer = newId();
  const task = newId();
  const busyTask = newId();
  const correlationId = `onboard-${newId().slice(0, 8)}`;
  const other = `review-${newId().slice(0, 8)}`;
  const corr = (id: string) => ({ correlation_id: id, source: 'console-test' });
  const story = [
    { event_type: 'agent.created', aggregate_id: agent, payload: { name: 'explore-agent' }, metadata: corr(correlationId) },
    { event_type: 'task.created', aggregate_id: task, payload: { title: 'Index the docs', priority: 'high' }, metadata: corr(correlationId) },
    { event_type: 'task.assigned', aggregate_id: task, payload: { agent_id: agent }, metadata: corr(correlationId) },
    { event_type: 'agent.renamed', aggregate_id: agent, payload: { name: 'explorer' }, metadata: corr(correlationId) },
    { event_type: 'agent.created', aggregate_id: reviewer, payload: { name: 'review-agent' }, metadata: corr(other) },
    { event_type: 'agent.noted', aggregate_id: agent, payload: { note: 'picked up the task' }, metadata: corr(correlationId) },
    { event_type: 'plan.approved', aggregate_id: newId(), payload: { steps: 3 }, metadata: corr(other) },
  ];
  const progress = Array.from({ length: 60 }, (_, i) => ({ event_type: 'task.progressed', aggregate_id: busyTask, payload: { percent: Math.round(((i + 1) * 100) / 60) } }));
  // The story one by one, so the timeline has distinct times; the run of progress as a batch.
  const events: StoredEvent[] = [];
  for (const event of story) {
    const res = await postJson(t.app, '/events', event, headers);
    expect(res.status).toBe(201);
    events.push(res.body);
  }
  const res = await postJson(t.app, '/events/batch', { events: progress }, headers);
  expect(res.status).toBe(201);
  events.push(...(res.body.events as StoredEvent[]));
  return {
    agent, reviewer, task, busyTask, correlationId, events,
    /** The events of the correlation id, in position order. */
    correlated: events.filter((e) => e.metadata.correlation_id === correlationId),
    progress: events.filter((e) => e.event_type === 'task.progressed'),
  };
}
