import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { relayStates } from '../publishing/relay.ts';

/** Gauges that need the store, filled by a collect callback at scrape time. */
export interface MetricSources {
  headPosition(): Promise<number>;
  relay(): { state: (typeof relayStates)[number]; publishedPosition: number };
  appendsInFlight(): number;
  poolMax: number;
  reads(): { inUse: number; waiting: number };
  databases(): Record<string, boolean>;
}

/** Event (and aggregate) types with series of their own; later ones share `"(other)"`. */
export const MAX_EVENT_TYPE_SERIES = 1000;

// Types are the clients' to name: a client minting one per entity must not grow the service's
// memory and every scrape without bound.
function cappedLabel(max: number) {
  const labelled = new Set<string>();
  return (name: string) => {
    if (labelled.has(name)) return name;
    if (labelled.size >= max) return '(other)';
    labelled.add(name);
    return name;
  };
}

export function createMetrics() {
  const registry = new Registry();
  const eventTypeLabel = cappedLabel(MAX_EVENT_TYPE_SERIES);
  // The event loop's delay sampled every 100 ms: prom-client's default of 10 ms wakes an idle
  // service a hundred times a second for it alone (README, Observability).
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });
  // prom-client names these gauges *_total, a counter suffix promtool refuses; each is the sum of
  // the per-type gauge without the suffix, so nothing is lost.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
  const metrics = {
    registry,
    eventTypeLabel,
    aggregateTypeLabel: cappedLabel(MAX_EVENT_TYPE_SERIES),
    appends: new Counter({
      name: 'events_appended_total',
      help: `Events in append requests, by event type (the first ${MAX_EVENT_TYPE_SERIES}; later ones as "(other)") and outcome (created, duplicate, conflict, refused)`,
      labelNames: ['event_type', 'outcome'] as const,
      registers: [registry],
    }),
    appendDuration: new Histogram({
      name: 'append_request_duration_seconds',
      help: 'Time to answer POST /events and POST /events/batch',
      labelNames: ['route'] as const,
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'append_transaction_events',
      help: 'Events per append transaction (group commit)',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048],
      registers: [registry],
    }),
    publishDelay: new Histogram({
      name: 'relay_publish_delay_seconds',
      help: "From a commit of this instance's result to Redis acknowledging the publication of its last event",
      buckets: [0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    streamRefills: new Counter({
      name: 'stream_mirror_refilled_events_total',
      help: `Events the relay copied from PostgreSQL into a Redis stream that had lost them (REDIS_STREAMS=on), by aggregate type (the first ${MAX_EVENT_TYPE_SERIES}; later ones as "(other)")`,
      labelNames: ['aggregate_type'] as const,
      registers: [registry],
    }),
    reads: new Counter({
      name: 'database_reads_total',
      help: "Requests' reads by the server that answered them (with DATABASE_READ_URL): replica or primary",
      labelNames: ['server'] as const,
      registers: [registry],
    }),
    requests: new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests by method, route and status',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
  };
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;

export function registerStoreGauges(metrics: Metrics, sources: MetricSources) {
  const { registry } = metrics;
  new Gauge({
    name: 'events_head_position',
    help: 'Newest committed position',
    registers: [registry],
    async collect() {
      this.set(await sources.headPosition().catch(() => NaN));
    },
  });
  new Gauge({
    name: 'relay_published_position',
    help: 'Newest position this instance has published to Redis',
    registers: [registry],
    collect() {
      this.set(sources.relay().publishedPosition);
    },
  });
  new Gauge({
    name: 'relay_publish_lag',
    help: 'Newest committed position minus newest published (as seen by this instance)',
    registers: [registry],
    async collect() {
      const head = await sources.headPosition().catch(() => NaN);
      this.set(Math.max(0, head - sources.relay().publishedPosition));
    },
  });
  new Gauge({
    name: 'relay_state',
    help: 'The relay state of this instance: 1 for the current one, 0 for every other',
    labelNames: ['state'] as const,
    registers: [registry],
    // Every state has a sample, so sum(relay_state{state="running"}) is 0, not empty, when none runs.
    collect() {
      const current = sources.relay().state;
      for (const state of relayStates) this.set({ state }, state === current ? 1 : 0);
    },
  });
  new Gauge({
    name: 'append_transactions_in_flight',
    help: 'Append transactions sent to PostgreSQL and not yet answered',
    registers: [registry],
    collect() {
      this.set(sources.appendsInFlight());
    },
  });
  new Gauge({
    name: 'database_pool_max',
    help: "Connections for requests' reads (DATABASE_POOL_MAX); appends use APPEND_MAX_IN_FLIGHT more",
    registers: [registry],
    collect() {
      this.set(sources.poolMax);
    },
  });
  new Gauge({
    name: 'database_read_connections_in_use',
    help: "Connections for requests' reads in use",
    registers: [registry],
    collect() {
      this.set(sources.reads().inUse);
    },
  });
  new Gauge({
    name: 'database_up',
    help: 'Whether a PostgreSQL server answers (1) or requests that need it fail at once (0), by server: primary, replica',
    labelNames: ['server'] as const,
    registers: [registry],
    collect() {
      for (const [server, up] of Object.entries(sources.databases())) this.set({ server }, up ? 1 : 0);
    },
  });
  new Gauge({
    name: 'database_reads_waiting',
    help: 'Reads waiting for a connection (all DATABASE_POOL_MAX in use)',
    registers: [registry],
    collect() {
      this.set(sources.reads().waiting);
    },
  });
}
