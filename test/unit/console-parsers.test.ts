import { describe, expect, it } from 'vitest';
import { histogramQuantile, parseMetrics, sumBy } from '../../console/lib/prometheus.js';
import { createSseParser } from '../../console/lib/sse.js';
import { createMetrics } from '../../src/observability/metrics.ts';

describe("the console's Prometheus text parser", () => {
  it('reads the service\'s own /metrics: counters by label and histogram quantiles', async () => {
    const metrics = createMetrics();
    metrics.appends.inc({ event_type: 'agent.created', outcome: 'created' }, 3);
    metrics.appends.inc({ event_type: 'agent.created', outcome: 'duplicate' });
    metrics.appends.inc({ event_type: 'task.done', outcome: 'created' }, 2);
    for (const seconds of [0.0015, 0.0015, 0.0015, 0.003]) metrics.appendDuration.observe({ route: 'single' }, seconds);
    const samples = parseMetrics(await metrics.registry.metrics());
    expect(sumBy(samples, 'events_appended_total', 'event_type', (l) => l.outcome === 'created')).toEqual(new Map([['agent.created', 3], ['task.done', 2]]));
    // Buckets ... 0.001 (0), 0.002 (3), 0.005 (4): the median lies in (0.001, 0.002].
    const p50 = histogramQuantile(samples, 'append_request_duration_seconds', 0.5)!;
    expect(p50).toBeGreaterThan(0.001);
    expect(p50).toBeLessThanOrEqual(0.002);
    expect(histogramQuantile(samples, 'append_request_duration_seconds', 0.99)).toBeGreaterThan(0.002);
    expect(histogramQuantile(samples, 'relay_publish_delay_seconds', 0.5)).toBeNull();
  });

  it('unescapes label values', () => {
    expect(parseMetrics('m{a="x\\"y\\\\z",b="1"} 2\n# HELP m text\n')).toEqual([{ name: 'm', labels: { a: 'x"y\\z', b: '1' }, value: 2 }]);
  });
});

describe("the console's SSE parser", () => {
  it('splits messages across chunks, joins data lines and skips comments', () => {
    const parser = createSseParser();
    expect(parser.push(': connected\n\nid: 7\ndata: {"a"')).toEqual([]);
    expect(parser.push(':1}\n\nid: 8\r\ndata: x\r\ndata: y\r\n\r\n: heartbeat\n\n')).toEqual([
      { id: '7', data: '{"a":1}' },
      { id: '8', data: 'x\ny' },
    ]);
  });
});
