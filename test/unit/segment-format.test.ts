import fc from 'fast-check';
import { parquetMetadata } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { encodeSegment } from '../../src/lifecycle/segment-format.ts';
import { openSegment, type SegmentSource } from '../../src/lifecycle/segment-reader.ts';
import { createdAtFromMicros, createdAtMicros, eventJson, type SegmentRow } from '../../src/lifecycle/segment-row.ts';

const name = fc.stringMatching(/^[a-z][a-z0-9_-]{0,63}$/);
const jsonText = fc.dictionary(fc.string({ unit: 'binary' }), fc.jsonValue({ maxDepth: 3 })).map((o) => JSON.stringify(o));
// Built with toISOString, not with the module's own formatter, so the two are checked against each other.
const createdAt = fc
  .tuple(fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }), fc.integer({ min: 0, max: 999 }))
  .map(([d, us]) => d.toISOString().replace('Z', `${String(us).padStart(3, '0')}Z`));

const rowsArbitrary = fc
  .array(
    fc.record({
      id: fc.uuid(),
      aggregate_type: name,
      verb: name,
      aggregate_id: fc.uuid(),
      sequence: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      gap: fc.integer({ min: 1, max: 1_000_000 }),
      payload: jsonText,
      metadata: jsonText,
      version: fc.integer({ min: 1, max: 2_147_483_647 }),
      created_at: createdAt,
    }),
    { minLength: 1, maxLength: 60 },
  )
  .map((items) => {
    let position = 0;
    return items.map(({ verb, gap, ...r }): SegmentRow => ({ ...r, event_type: `${r.aggregate_type}.${verb}`, position: (position += gap) }));
  });

function sampleRows(count: number, firstPosition = 1, step = 1): SegmentRow[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    event_type: 'agent.created',
    aggregate_type: 'agent',
    aggregate_id: '550e8400-e29b-41d4-a716-446655440000',
    sequence: i + 1,
    position: firstPosition + i * step,
    payload: `{"n": ${i}, "name": "café 東京", "nested": {"list": [1, 2.50, null]}}`,
    metadata: '{}',
    version: 1,
    created_at: createdAtFromMicros(1_767_225_600_000_000n + BigInt(i) * 1_234_567n),
  }));
}

const positions = (rows: SegmentRow[]) => rows.map((r) => r.position);

describe('segment format', () => {
  it('round-trips every field of every event exactly', async () => {
    const rows = sampleRows(25);
    const segment = await openSegment(encodeSegment(rows, { rowGroupSize: 10 }));
    expect(segment.rowCount).toBe(25);
    expect(await segment.readAll()).toEqual(rows);
  });

  it('any list of events in position order decodes to the same canonical JSON', async () => {
    await fc.assert(
      fc.asyncProperty(rowsArbitrary, fc.integer({ min: 1, max: 20 }), async (rows, rowGroupSize) => {
        const decoded = await (await openSegment(encodeSegment(rows, { rowGroupSize }))).readAll();
        expect(decoded.map(eventJson)).toEqual(rows.map(eventJson));
      }),
      { numRuns: 150 },
    );
  });

  it('a position range or a set of positions returns exactly the events asked for', async () => {
    await fc.assert(
      fc.asyncProperty(rowsArbitrary, fc.integer({ min: 1, max: 8 }), fc.nat(), fc.nat(), async (rows, rowGroupSize, a, b) => {
        const segment = await openSegment(encodeSegment(rows, { rowGroupSize }));
        const last = rows[rows.length - 1]!.position;
        const [from, to] = [a % (last + 2), b % (last + 2)].sort((x, y) => x - y) as [number, number];
        expect(await segment.readPositionRange(from, to)).toEqual(rows.filter((r) => r.position >= from && r.position <= to));
        const wanted = rows.filter((_, i) => (i * 7 + a) % 3 === 0).map((r) => r.position);
        expect(positions(await segment.readPositions([...wanted, last + 1]))).toEqual(wanted);
      }),
      { numRuns: 100 },
    );
  });

  it('records each row group with the min and max position of its events', async () => {
    const segment = await openSegment(encodeSegment(sampleRows(25, 100, 3), { rowGroupSize: 10 }));
    expect(segment.rowGroups).toEqual([
      { rowStart: 0, rowCount: 10, minPosition: 100, maxPosition: 127 },
      { rowStart: 10, rowCount: 10, minPosition: 130, maxPosition: 157 },
      { rowStart: 20, rowCount: 5, minPosition: 160, maxPosition: 172 },
    ]);
  });

  it('ends a row group before the event that would take its JSON past rowGroupBytes, so a read decodes a bounded group', async () => {
    // Events of about 30 KB: three fit in 100,000 bytes, a fourth would not.
    const rows = sampleRows(10).map((r, i) => ({ ...r, payload: JSON.stringify({ i, data: 'x'.repeat(30_000) }) }));
    expect(eventJson(rows[0]!).length * 3).toBeLessThan(100_000);
    const segment = await openSegment(encodeSegment(rows, { rowGroupSize: 1000, rowGroupBytes: 100_000 }));
    expect(segment.rowGroups.map((g) => g.rowCount)).toEqual([3, 3, 3, 1]);
    expect(await segment.readAll()).toEqual(rows);
    // An event larger than the bound is a group of its own.
    const large = encodeSegment(rows, { rowGroupSize: 1000, rowGroupBytes: 1000 });
    expect((await openSegment(large)).rowGroups.map((g) => g.rowCount)).toEqual(rows.map(() => 1));
    // Small events stay in groups of rowGroupSize under the default bound.
    expect((await openSegment(encodeSegment(sampleRows(25), { rowGroupSize: 10 }))).rowGroups.map((g) => g.rowCount)).toEqual([10, 10, 5]);
  });

  it('a range read fetches only the bytes of the row groups that overlap the range', async () => {
    const bytes = encodeSegment(sampleRows(3000), { rowGroupSize: 1000 });
    const spans = parquetMetadata(bytes).row_groups.map((g) => {
      const starts = g.columns.map((c) => Number(c.meta_data!.dictionary_page_offset ?? c.meta_data!.data_page_offset));
      const ends = g.columns.map((c, i) => starts[i]! + Number(c.meta_data!.total_compressed_size));
      return [Math.min(...starts), Math.max(...ends)] as const;
    });
    const reads: [number, number][] = [];
    const source: SegmentSource = {
      byteLength: bytes.byteLength,
      read: async (start, end) => {
        reads.push([start, end]);
        return bytes.subarray(start, end);
      },
    };
    const segment = await openSegment(source);
    reads.length = 0;
    expect(positions(await segment.readPositionRange(1200, 1300))).toEqual(Array.from({ length: 101 }, (_, i) => 1200 + i));
    const touches = ([from, to]: readonly [number, number]) => reads.some(([s, e]) => s < to && e > from);
    expect(spans.map(touches)).toEqual([false, true, false]);
  });

  it('refuses events out of position order, an empty segment and an unreal created_at', () => {
    const rows = sampleRows(3);
    expect(() => encodeSegment([rows[1]!, rows[0]!])).toThrow(/increasing position order: 1 follows 2/);
    expect(() => encodeSegment([rows[0]!, rows[0]!])).toThrow(/increasing position order/);
    expect(() => encodeSegment([])).toThrow(/at least one event/);
    expect(() => encodeSegment([{ ...rows[0]!, created_at: '2026-02-30T00:00:00.000000Z' }])).toThrow(/real instant/);
    expect(() => encodeSegment([{ ...rows[0]!, created_at: '2026-02-01T00:00:00Z' }])).toThrow(/real instant/);
  });

  it('refuses to open a Parquet file that is not an event segment', async () => {
    const other = parquetWriteBuffer({ columnData: [{ name: 'position', data: [1, 2], type: 'INT32' }] });
    await expect(openSegment(new Uint8Array(other))).rejects.toThrow(/not an event segment: its columns are position/);
  });

  it('created_at keeps microseconds on both sides of the epoch', () => {
    for (const text of ['1969-12-31T23:59:59.999999Z', '1970-01-01T00:00:00.000001Z', '0001-01-01T00:00:00.000000Z', '9999-12-31T23:59:59.999999Z']) {
      expect(createdAtFromMicros(createdAtMicros(text))).toBe(text);
    }
    expect(createdAtMicros('1969-12-31T23:59:59.999999Z')).toBe(-1n);
  });
});
