import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { appendsChart } from './chart.ts';
import { type BenchRow, cleanup, ROOT } from './lib.ts';
import { suites } from './suites/index.ts';

// npm run bench [suite ...]: runs the named suites (all by default), prints one table and
// writes bench/results/latest.json. Every ratio compares figures measured in this run.
const wanted = process.argv.slice(2);
const chosen = wanted.length ? suites.filter((s) => wanted.includes(s.name)) : suites.filter((s) => !s.heavy);
if (wanted.length && chosen.length !== wanted.length) {
  console.error(`unknown suite; known: ${suites.map((s) => s.name).join(', ')}`);
  process.exit(2);
}

const rows: BenchRow[] = [];
const record = (row: BenchRow) => {
  rows.push(row);
  const ratio = row.ratio === undefined ? '' : `  ${row.ratio.toFixed(2)}x ${row.baseline}`;
  console.log(`${row.suite.padEnd(12)} ${row.name.padEnd(58)} ${fmt(row.value).padStart(10)} ${row.unit.padEnd(9)}${ratio}${row.note ? `  (${row.note})` : ''}`);
};
const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2));

try {
  for (const suite of chosen) {
    console.log(`\n== ${suite.name}: ${suite.description}`);
    await suite.run(record);
  }
} finally {
  await cleanup();
}

mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
const out = { date: new Date().toISOString(), node: process.version, cpus: cpus().length, rows };
writeFileSync(join(ROOT, 'bench/results/latest.json'), JSON.stringify(out, null, 2) + '\n');
console.log(`\nwrote bench/results/latest.json (${rows.length} figures)`);
const chart = appendsChart(rows);
if (chart) {
  writeFileSync(join(ROOT, 'bench/results/appends.svg'), chart + '\n');
  console.log('wrote bench/results/appends.svg');
}
process.exit(0);
