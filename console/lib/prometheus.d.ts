// Types of prometheus.js for its unit test (the browser code is checked from its JSDoc).
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
export function parseMetrics(text: string): Sample[];
export function sumBy(samples: Sample[], name: string, by: string, where?: (labels: Record<string, string>) => boolean): Map<string, number>;
export function histogramQuantile(samples: Sample[], name: string, q: number, where?: (labels: Record<string, string>) => boolean): number | null;
