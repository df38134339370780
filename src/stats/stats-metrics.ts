import { Gauge } from 'prom-client';
import type { Metrics } from '../observability/metrics.ts';

export interface StatsMetricSources {
  headPosition(): Promise<number>;
  statsPosition(): Promise<number>;
}

/** Scrape-time gauges of the stats projection: how far it has counted and how far behind it is. */
export function registerStatsGauges(metrics: Metrics, sources: StatsMetricSources) {
  const { registry } = metrics;
  new Gauge({
    name: 'stats_projected_position',
    help: 'Newest position counted into the GET /stats rollups',
    registers: [registry],
    async collect() {
      this.set(await sources.statsPosition().catch(() => NaN));
    },
  });
  new Gauge({
    name: 'stats_projection_lag',
    help: 'Committed events not yet counted into the GET /stats rollups (newest committed position minus newest counted)',
    registers: [registry],
    async collect() {
      const [head, counted] = await Promise.all([sources.headPosition(), sources.statsPosition()]).catch(() => [NaN, NaN]);
      this.set(Math.max(0, head! - counted!));
    },
  });
}
