import { Gauge } from 'prom-client';
import type { ConsumerGroupStatus } from '../consumer-groups/inspect.ts';
import { withDeadline } from '../events/deadline.ts';
import type { Metrics } from './metrics.ts';

const FRESH_MS = 1_000;
const ANSWER_MS = 1_000;

/** Scrape-time gauges of GET /consumer-groups, one reading per scrape; empty while Redis is away. */
export function registerConsumerGroupGauges(metrics: Metrics, list: () => Promise<ConsumerGroupStatus[]>) {
  let reading: { at: number; groups: Promise<ConsumerGroupStatus[]> } | null = null;
  const current = () => {
    if (!reading || Date.now() - reading.at > FRESH_MS) {
      // A scrape must not wait for a Redis that stopped answering: Prometheus gives up after 10 s, and the
      // whole scrape (publish lag included) would be lost with it.
      reading = { at: Date.now(), groups: withDeadline(list(), ANSWER_MS, () => new Error('Redis did not answer')).catch(() => []) };
    }
    return reading.groups;
  };
  const gauge = (name: string, help: string, value: (g: ConsumerGroupStatus) => number | null) =>
    new Gauge({
      name,
      help,
      labelNames: ['aggregate_type', 'group'] as const,
      registers: [metrics.registry],
      async collect() {
        const groups = await current();
        this.reset();
        for (const g of groups) {
          const v = value(g);
          if (v !== null) this.set({ aggregate_type: g.aggregate_type, group: g.group }, v);
        }
      },
    });
  gauge('consumer_group_consumers', 'Consumers in the group (Redis Streams mirror)', (g) => g.consumers);
  gauge('consumer_group_pending', 'Entries delivered to the group and not acknowledged', (g) => g.pending);
  gauge('consumer_group_lag_events', 'Events of the type after the group\'s last delivered position (capped at 1,000,000)', (g) => g.lag);
  gauge('consumer_group_oldest_pending_seconds', 'Seconds since the event of the lowest pending position was appended', (g) => g.oldest_pending_seconds);
  gauge('consumer_group_parked_events', "Events in the group's dead-letter stream", (g) => g.parked);
}
