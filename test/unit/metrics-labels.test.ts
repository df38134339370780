import { describe, expect, it } from 'vitest';
import { createMetrics, MAX_EVENT_TYPE_SERIES } from '../../src/observability/metrics.ts';

describe('events_appended_total', () => {
  it(`keeps a series for each of the first ${MAX_EVENT_TYPE_SERIES} event types, and counts later ones together as "(other)"`, async () => {
    const metrics = createMetrics();
    for (let i = 0; i < MAX_EVENT_TYPE_SERIES + 500; i++) metrics.appends.inc({ event_type: metrics.eventTypeLabel(`t${i}.made`), outcome: 'created' });
    metrics.appends.inc({ event_type: metrics.eventTypeLabel('t0.made'), outcome: 'created' });
    const lines = (await metrics.registry.metrics()).split('\n').filter((l) => l.startsWith('events_appended_total{'));
    expect(lines).toHaveLength(MAX_EVENT_TYPE_SERIES + 1);
    expect(lines).toContain('events_appended_total{event_type="(other)",outcome="created"} 500');
    expect(lines).toContain('events_appended_total{event_type="t0.made",outcome="created"} 2');
  });
});

describe('stream_mirror_refilled_events_total', () => {
  it(`keeps a series for each of the first ${MAX_EVENT_TYPE_SERIES} aggregate types, as events_appended_total does`, async () => {
    const metrics = createMetrics();
    for (let i = 0; i < MAX_EVENT_TYPE_SERIES + 20; i++) metrics.streamRefills.inc({ aggregate_type: metrics.aggregateTypeLabel(`t${i}`) }, 2);
    const lines = (await metrics.registry.metrics()).split('\n').filter((l) => l.startsWith('stream_mirror_refilled_events_total{'));
    expect(lines).toHaveLength(MAX_EVENT_TYPE_SERIES + 1);
    expect(lines).toContain('stream_mirror_refilled_events_total{aggregate_type="(other)"} 40');
  });
});
