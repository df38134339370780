import type { BenchRow } from '../lib.ts';
import appends from './appends.ts';
import latency from './latency.ts';

export interface Suite {
  name: string;
  description: string;
  run(record: (row: BenchRow) => void): Promise<void>;
}

// Every suite of `npm run bench`, in the order they run.
export const suites: Suite[] = [appends, latency];
