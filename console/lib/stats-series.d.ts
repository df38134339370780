// Types of stats-series.js for its unit test (the browser code is checked from its JSDoc).
export const BUCKET_S: { readonly minute: 60; readonly hour: 3600; readonly day: 86400 };
export function statsSeries(stats: {
  bucket: 'minute' | 'hour' | 'day';
  from: string;
  to: string;
  buckets: { start: string; counts: Record<string, number> }[];
  totals: Record<string, number>;
}): { types: string[]; data: [number[], ...number[][]] };
