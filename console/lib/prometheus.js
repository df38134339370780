/** @typedef {{ name: string, labels: Record<string, string>, value: number }} Sample */

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * Parses the Prometheus text format of GET /metrics into samples (comments skipped).
 * @param {string} text
 * @returns {Sample[]}
 */
export function parseMetrics(text) {
  /** @type {Sample[]} */
  const samples = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    /** @type {Record<string, string>} */
    const labels = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(LABEL)) labels[/** @type {string} */ (k)] = (v ?? '').replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
    samples.push({ name: /** @type {string} */ (m[1]), labels, value: Number(m[3]) });
  }
  return samples;
}

/**
 * Sums a metric's samples grouped by one label.
 * @param {Sample[]} samples
 * @param {string} name
 * @param {string} by
 * @param {(labels: Record<string, string>) => boolean} [where]
 */
export function sumBy(samples, name, by, where = () => true) {
  /** @type {Map<string, number>} */
  const out = new Map();
  for (const s of samples) if (s.name === name && where(s.labels)) out.set(s.labels[by] ?? '', (out.get(s.labels[by] ?? '') ?? 0) + s.value);
  return out;
}

/**
 * A quantile of a histogram from its cumulative buckets, interpolated inside the bucket as
 * Prometheus' histogram_quantile() does; null without observations.
 * @param {Sample[]} samples
 * @param {string} name the histogram's name (without _bucket)
 * @param {number} q 0..1
 * @param {(labels: Record<string, string>) => boolean} [where]
 */
export function histogramQuantile(samples, name, q, where = () => true) {
  /** @type {Map<number, number>} */
  const buckets = new Map();
  for (const s of samples) {
    if (s.name !== `${name}_bucket` || !where(s.labels)) continue;
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    buckets.set(le, (buckets.get(le) ?? 0) + s.value);
  }
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (total === 0) return null;
  const rank = q * total;
  let [prevLe, prevCount] = [0, 0];
  for (const [le, count] of sorted) {
    if (count >= rank) {
      if (le === Infinity) return prevLe;
      return prevLe + (le - prevLe) * ((rank - prevCount) / Math.max(count - prevCount, 1e-12));
    }
    [prevLe, prevCount] = [le, count];
  }
  return prevLe;
}
