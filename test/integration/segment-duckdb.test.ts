import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSegment } from '../../src/lifecycle/segment-format.ts';
import { createdAtFromMicros, createdAtMicros, type SegmentRow } from '../../src/lifecycle/segment-row.ts';

const rows: SegmentRow[] = Array.from({ length: 2500 }, (_, i) => ({
  id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  event_type: i % 2 ? 'agent.created' : 'task.started',
  aggregate_type: i % 2 ? 'agent' : 'task',
  aggregate_id: '550e8400-e29b-41d4-a716-446655440000',
  sequence: i + 1,
  position: 101 + i,
  payload: `{"name": "agent-${i}", "tags": ["a", "b"], "cost": 0.${i}, "city": "東京"}`,
  metadata: `{"correlation_id": "corr-${i % 10}"}`,
  version: 1 + (i % 3),
  created_at: createdAtFromMicros(1_767_225_600_000_000n + BigInt(i) * 1_000_001n),
}));

let dir: string;
let file: string;
let instance: DuckDBInstance;
let duck: DuckDBConnection;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'segment-duckdb-'));
  file = join(dir, 'segment.parquet');
  writeFileSync(file, encodeSegment(rows, { rowGroupSize: 1000 }));
  instance = await DuckDBInstance.create(':memory:');
  duck = await instance.connect();
});
afterAll(() => {
  duck.closeSync();
  instance.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

const query = async (sql: string) => (await duck.runAndReadAll(sql)).getRowObjectsJS();

describe('a segment as DuckDB reads it, with no options', () => {
  it('counts the events and their position range', async () => {
    expect(await query(`select count(*) as n, min(position) as lo, max(position) as hi from read_parquet('${file}')`)).toEqual([{ n: 2500n, lo: 101n, hi: 2600n }]);
  });

  it('types each column, created_at as a timestamp with time zone at microsecond precision', async () => {
    const columns = await query(`describe select * from read_parquet('${file}')`);
    expect(Object.fromEntries(columns.map((c) => [c.column_name, c.column_type]))).toEqual({
      id: 'VARCHAR', event_type: 'VARCHAR', aggregate_type: 'VARCHAR', aggregate_id: 'VARCHAR', sequence: 'BIGINT', position: 'BIGINT',
      payload: 'VARCHAR', metadata: 'VARCHAR', version: 'INTEGER', created_at: 'TIMESTAMP WITH TIME ZONE',
    });
    const times = await query(`select epoch_us(created_at) as us from read_parquet('${file}') order by position`);
    expect(times.map((t) => t.us)).toEqual(rows.map((r) => createdAtMicros(r.created_at)));
  });

  it('parses payload and metadata with its JSON functions', async () => {
    expect(await query(`select json_extract_string(payload, '$.name') as name, json_extract_string(payload, '$.city') as city,
        metadata->>'correlation_id' as corr from read_parquet('${file}') where position = 1101`))
      .toEqual([{ name: 'agent-1000', city: '東京', corr: 'corr-0' }]);
    expect(await query(`select count(*) filter (where json_valid(payload) and json_valid(metadata)) as valid from read_parquet('${file}')`)).toEqual([{ valid: 2500n }]);
  });

  it('sees SNAPPY row groups with position statistics it can skip by', async () => {
    const groups = await query(`select row_group_id as g, compression, stats_min_value as lo, stats_max_value as hi from parquet_metadata('${file}')
      where path_in_schema = 'position' order by g`);
    expect(groups).toEqual([
      { g: 0n, compression: 'SNAPPY', lo: '101', hi: '1100' },
      { g: 1n, compression: 'SNAPPY', lo: '1101', hi: '2100' },
      { g: 2n, compression: 'SNAPPY', lo: '2101', hi: '2600' },
    ]);
  });
});
