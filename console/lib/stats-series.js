/** Bucket lengths of GET /stats, in seconds. */
export const BUCKET_S = /** @type {const} */ ({ minute: 60, hour: 3600, day: 86400 });

/**
 * GET /stats' answer (buckets with events only) as uPlot's aligned data: every bucket of the
 * range on the x axis (seconds), one series per event type, zero where a bucket had none. A
 * closing point at `to` repeats the last bucket's counts: drawn as steps that hold a bucket's
 * count until the next point, the last bucket (the current one) gets its full width too.
 * @param {{ bucket: keyof typeof BUCKET_S, from: string, to: string, buckets: { start: string, counts: Record<string, number> }[], totals: Record<string, number> }} stats
 * @returns {{ types: string[], data: [number[], ...number[][]] }}
 */
export function statsSeries(stats) {
  const step = BUCKET_S[stats.bucket];
  const from = Date.parse(stats.from) / 1000;
  const to = Date.parse(stats.to) / 1000;
  /** @type {number[]} */
  const xs = [];
  for (let t = from; t < to; t += step) xs.push(t);
  // Most events first, so the biggest series gets the first colour.
  const types = Object.keys(stats.totals).sort((a, b) => (stats.totals[b] ?? 0) - (stats.totals[a] ?? 0) || a.localeCompare(b));
  const series = types.map(() => xs.map(() => 0));
  for (const b of stats.buckets) {
    const i = Math.round((Date.parse(b.start) / 1000 - from) / step);
    types.forEach((type, k) => {
      const row = series[k];
      if (row && i >= 0 && i < xs.length) row[i] = b.counts[type] ?? 0;
    });
  }
  if (xs.length > 0) {
    xs.push(to);
    for (const row of series) row.push(row.at(-1) ?? 0);
  }
  return { types, data: [xs, ...series] };
}
