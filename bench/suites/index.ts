import type { BenchRow } from '../lib.ts';
import aggregates from './aggregates.ts';
import appends from './appends.ts';
import consoleSuite from './console.ts';
import delivery from './delivery.ts';
import fanout from './fanout.ts';
import importSuite from './import.ts';
import latency from './latency.ts';
import lifecycle from './lifecycle.ts';
import reads from './reads.ts';
import redisCluster from './redis-cluster.ts';
import scale from './scale.ts';
import streams from './streams.ts';
import stats from './stats.ts';

export interface Suite {
  name: string;
  description: string;
  /** Runs only when named (`npm run bench scale`): it takes minutes. */
  heavy?: boolean;
  run(record: (row: BenchRow) => void): Promise<void>;
}

// Every suite of `npm run bench`, in the order they run.
export const suites: Suite[] = [appends, latency, reads, delivery, redisCluster, streams, importSuite, aggregates, scale, lifecycle, stats, consoleSuite, fanout];
