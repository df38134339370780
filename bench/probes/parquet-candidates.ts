// The candidates of bench/probes/parquet-libraries.ts, each writing the same columns: strings
// as UTF8, sequence and position as INT64, version as INT32, created_at as a UTC-adjusted
// TIMESTAMP in microseconds, with min/max statistics. `lib.pN` is the N-th of `packages`.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { ProbeRow } from './parquet-events.ts';

export interface Candidate {
  name: string;
  packages: string[];
  codecs: string[];
  encode(lib: any, rows: ProbeRow[], codec: string, rowGroup: number): Promise<Uint8Array>;
  decodeAll(lib: any, file: Uint8Array): Promise<ProbeRow[]>;
  /** Rows of the row group `index`, positions index*rowGroup+1 .. (index+1)*rowGroup. */
  decodeRowGroup(lib: any, file: Uint8Array, index: number, rowGroup: number): Promise<ProbeRow[]>;
  close?(): Promise<void>;
}

const STRINGS = ['id', 'event_type', 'aggregate_type', 'aggregate_id', 'payload', 'metadata'] as const;
const column = <K extends keyof ProbeRow>(rows: ProbeRow[], k: K) => rows.map((r) => r[k]);
const fromColumns = (n: number, get: (k: keyof ProbeRow, i: number) => unknown): ProbeRow[] =>
  Array.from({ length: n }, (_, i) => ({
    id: get('id', i), event_type: get('event_type', i), aggregate_type: get('aggregate_type', i), aggregate_id: get('aggregate_id', i),
    sequence: Number(get('sequence', i)), position: Number(get('position', i)), payload: get('payload', i), metadata: get('metadata', i),
    version: Number(get('version', i)), created_at: BigInt(get('created_at', i) as bigint),
  }) as ProbeRow);

const hyparquet: Candidate = {
  name: 'hyparquet',
  // hyparquet at the version hyparquet-writer pins, as package.json has it: one copy.
  packages: ['hyparquet@1.31.5', 'hyparquet-writer'],
  codecs: ['SNAPPY'],
  async encode(lib, rows, codec, rowGroup) {
    const utf8 = { type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' }, repetition_type: 'REQUIRED' };
    const int64 = (name: string) => ({ name, type: 'INT64', repetition_type: 'REQUIRED' });
    const buffer = lib.p1.parquetWriteBuffer({
      codec,
      compressors: lib.compressors,
      rowGroupSize: rowGroup,
      columnData: [
        ...STRINGS.map((name) => ({ name, data: column(rows, name) })),
        { name: 'sequence', data: BigInt64Array.from(rows, (r) => BigInt(r.sequence)) },
        { name: 'position', data: BigInt64Array.from(rows, (r) => BigInt(r.position)) },
        { name: 'version', data: Int32Array.from(rows, (r) => r.version) },
        { name: 'created_at', data: BigInt64Array.from(rows, (r) => r.created_at) },
      ],
      schema: [
        { name: 'root', num_children: 10 },
        ...STRINGS.map((name) => ({ name, ...utf8 })),
        int64('sequence'), int64('position'),
        { name: 'version', type: 'INT32', repetition_type: 'REQUIRED' },
        { ...int64('created_at'), converted_type: 'TIMESTAMP_MICROS', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' } },
      ],
    });
    return new Uint8Array(buffer);
  },
  async decodeAll(lib, file) {
    return hyparquetRows(lib, file, {});
  },
  async decodeRowGroup(lib, file, index, rowGroup) {
    return hyparquetRows(lib, file, { rowStart: index * rowGroup, rowEnd: (index + 1) * rowGroup });
  },
};

// ZSTD for hyparquet-writer: no zstd compressor is built into Node 20, so a WebAssembly build
// writes it and hyparquet-compressors (fzstd) reads it.
const hyparquetZstd: Candidate = {
  ...hyparquet,
  name: 'hyparquet + zstd-wasm',
  packages: ['hyparquet@1.31.5', 'hyparquet-writer', 'hyparquet-compressors', '@bokuweb/zstd-wasm'],
  codecs: ['ZSTD'],
  async encode(lib, rows, codec, rowGroup) {
    await lib.p3.init();
    return hyparquet.encode({ ...lib, compressors: { ZSTD: (b: Uint8Array) => lib.p3.compress(b, 3) } }, rows, codec, rowGroup);
  },
};

async function hyparquetRows(lib: any, file: Uint8Array, range: object): Promise<ProbeRow[]> {
  const buffer = file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength);
  const rows: any[] = await lib.p0.parquetReadObjects({
    file: buffer, ...range, compressors: lib.p2?.compressors, parsers: { timestampFromMicroseconds: (v: bigint) => v },
  });
  return fromColumns(rows.length, (k, i) => rows[i][k]);
}

const dsnp: Candidate = {
  name: '@dsnp/parquetjs',
  packages: ['@dsnp/parquetjs'],
  codecs: ['SNAPPY'],
  async encode(lib, rows, codec, rowGroup) {
    const { ParquetSchema, ParquetWriter } = lib.p0;
    const field = (type: string) => ({ type, compression: codec });
    const schema = new ParquetSchema({
      ...Object.fromEntries(STRINGS.map((name) => [name, field('UTF8')])),
      sequence: field('INT64'), position: field('INT64'), version: field('INT32'), created_at: field('TIMESTAMP_MICROS'),
    });
    const chunks: Buffer[] = [];
    const out = new Writable({ write(chunk, _enc, done) { chunks.push(chunk); done(); } });
    const writer = await ParquetWriter.openStream(schema, out);
    writer.setRowGroupSize(rowGroup);
    for (const r of rows) await writer.appendRow({ ...r, sequence: BigInt(r.sequence), position: BigInt(r.position) });
    await writer.close();
    return new Uint8Array(Buffer.concat(chunks));
  },
  async decodeAll(lib, file) {
    const reader = await lib.p0.ParquetReader.openBuffer(Buffer.from(file));
    const cursor = reader.getCursor();
    const rows: any[] = [];
    for (let r = await cursor.next(); r; r = await cursor.next()) rows.push(r);
    return fromColumns(rows.length, (k, i) => (k === 'created_at' ? BigInt(rows[i][k].getTime()) * 1000n : rows[i][k]));
  },
  async decodeRowGroup(lib, file, index) {
    const reader = await lib.p0.ParquetReader.openBuffer(Buffer.from(file));
    const buffer = await reader.envelopeReader.readRowGroup(reader.schema, reader.metadata.row_groups[index], []);
    const rows: any[] = lib.p0.ParquetShredder.materializeRecords(reader.schema, buffer);
    return fromColumns(rows.length, (k, i) => (k === 'created_at' ? BigInt(rows[i][k].getTime()) * 1000n : rows[i][k]));
  },
};

let duck: { instance: any; connection: any; dir: string } | undefined;
async function duckConnection(lib: any) {
  if (!duck) {
    const instance = await lib.p0.DuckDBInstance.create(':memory:');
    duck = { instance, connection: await instance.connect(), dir: mkdtempSync(join(tmpdir(), 'duck-probe-')) };
  }
  return duck;
}

async function duckRows(lib: any, file: Uint8Array, where: string): Promise<ProbeRow[]> {
  const { connection, dir } = await duckConnection(lib);
  const path = join(dir, 'in.parquet');
  writeFileSync(path, file);
  const reader = await connection.runAndReadAll(`select * exclude (created_at), epoch_us(created_at) as created_at from read_parquet('${path}') ${where}`);
  const rows: any[] = reader.getRowObjectsJS();
  return fromColumns(rows.length, (k, i) => rows[i][k]);
}

const duckdb: Candidate = {
  name: '@duckdb/node-api',
  packages: ['@duckdb/node-api'],
  codecs: ['ZSTD', 'SNAPPY'],
  async encode(lib, rows, codec, rowGroup) {
    const { connection, dir } = await duckConnection(lib);
    await connection.run(`create or replace table ev (id varchar, event_type varchar, aggregate_type varchar, aggregate_id varchar,
      sequence bigint, position bigint, payload varchar, metadata varchar, version integer, created_at timestamptz)`);
    const appender = await connection.createAppender('ev');
    for (const r of rows) {
      for (const k of ['id', 'event_type', 'aggregate_type', 'aggregate_id'] as const) appender.appendVarchar(r[k]);
      appender.appendBigInt(BigInt(r.sequence));
      appender.appendBigInt(BigInt(r.position));
      appender.appendVarchar(r.payload);
      appender.appendVarchar(r.metadata);
      appender.appendInteger(r.version);
      appender.appendTimestampTZ(new lib.p0.DuckDBTimestampTZValue(r.created_at));
      appender.endRow();
    }
    appender.closeSync();
    const path = join(dir, 'out.parquet');
    await connection.run(`copy ev to '${path}' (format parquet, compression ${codec}, row_group_size ${rowGroup})`);
    return new Uint8Array(readFileSync(path));
  },
  decodeAll: (lib, file) => duckRows(lib, file, ''),
  decodeRowGroup: (lib, file, index, rowGroup) => duckRows(lib, file, `where position between ${index * rowGroup + 1} and ${(index + 1) * rowGroup}`),
  async close() {
    if (!duck) return;
    duck.connection.closeSync();
    duck.instance.closeSync();
    rmSync(duck.dir, { recursive: true, force: true });
  },
};

const parquetWasm: Candidate = {
  name: 'parquet-wasm',
  packages: ['parquet-wasm', 'apache-arrow'],
  codecs: ['ZSTD', 'SNAPPY'],
  async encode(lib, rows, codec, rowGroup) {
    const [W, A] = [lib.p0, lib.p1];
    const int = (type: any, data: ArrayLike<unknown>) => A.makeVector(A.makeData({ type, data, length: data.length }));
    const table = new A.Table({
      ...Object.fromEntries(STRINGS.map((k) => [k, A.vectorFromArray(column(rows, k), new A.Utf8())])),
      sequence: int(new A.Int64(), BigInt64Array.from(rows, (r) => BigInt(r.sequence))),
      position: int(new A.Int64(), BigInt64Array.from(rows, (r) => BigInt(r.position))),
      version: int(new A.Int32(), Int32Array.from(rows, (r) => r.version)),
      created_at: int(new A.TimestampMicrosecond('UTC'), BigInt64Array.from(rows, (r) => r.created_at)),
    });
    const props = new W.WriterPropertiesBuilder().setCompression(W.Compression[codec]).setMaxRowGroupSize(rowGroup).build();
    return W.writeParquet(W.Table.fromIPCStream(A.tableToIPC(table, 'stream')), props);
  },
  decodeAll: (lib, file) => wasmRows(lib, file, {}),
  decodeRowGroup: (lib, file, index) => wasmRows(lib, file, { rowGroups: [index] }),
};

async function wasmRows(lib: any, file: Uint8Array, options: object): Promise<ProbeRow[]> {
  const [W, A] = [lib.p0, lib.p1];
  const table = A.tableFromIPC(W.readParquet(file, options).intoIPCStream());
  const columns = Object.fromEntries(table.schema.fields.map((f: any) => {
    const vector = table.getChild(f.name);
    const int64 = f.name === 'created_at' || f.name === 'sequence' || f.name === 'position';
    return [f.name, int64 ? vector.data.flatMap((d: any) => Array.from(d.values)) : vector.toArray()];
  }));
  return fromColumns(table.numRows, (k, i) => columns[k][i]);
}

export const candidates: Candidate[] = [hyparquet, hyparquetZstd, dsnp, duckdb, parquetWasm];
