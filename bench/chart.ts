import type { BenchRow } from './lib.ts';

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

/**
 * An SVG line chart of appends/s against concurrency, one line per contender, from the rows
 * of the appends suite ("<contender>, c=<n>").
 */
export function appendsChart(rows: BenchRow[]): string | null {
  const series = new Map<string, { c: number; v: number }[]>();
  for (const r of rows) {
    const m = /^(.*), c=(\d+)$/.exec(r.name);
    if (r.suite !== 'appends' || !m) continue;
    const list = series.get(m[1]!) ?? [];
    list.push({ c: Number(m[2]), v: r.value });
    series.set(m[1]!, list);
  }
  if (series.size === 0) return null;
  const cs = [...new Set([...series.values()].flat().map((p) => p.c))].sort((a, b) => a - b);
  const max = Math.max(...[...series.values()].flat().map((p) => p.v)) * 1.1;
  const [W, H, L, T, R, B] = [760, 420, 70, 30, 250, 50];
  const x = (c: number) => L + (cs.indexOf(c) / Math.max(1, cs.length - 1)) * (W - L - R);
  const y = (v: number) => H - B - (v / max) * (H - T - B);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${L}" y="18" font-size="14">Appends per second against concurrency (one machine, same run)</text>`);
  for (let i = 0; i <= 5; i++) {
    const v = (max / 5) * i;
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${L - 8}" y="${y(v) + 4}" text-anchor="end">${Math.round(v).toLocaleString('en')}</text>`);
  }
  for (const c of cs) parts.push(`<text x="${x(c)}" y="${H - B + 18}" text-anchor="middle">${c}</text>`);
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">concurrent clients / connections</text>`);
  [...series.entries()].forEach(([name, pts], i) => {
    const color = COLORS[i % COLORS.length];
    const sorted = pts.sort((a, b) => a.c - b.c);
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${sorted.map((p) => `${x(p.c)},${y(p.v)}`).join(' ')}"/>`);
    for (const p of sorted) parts.push(`<circle cx="${x(p.c)}" cy="${y(p.v)}" r="3" fill="${color}"/>`);
    parts.push(`<rect x="${W - R + 15}" y="${T + 20 * i}" width="12" height="12" fill="${color}"/><text x="${W - R + 32}" y="${T + 20 * i + 11}">${name.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
