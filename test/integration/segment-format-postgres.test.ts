import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSegment } from '../../src/lifecycle/segment-format.ts';
import { openSegment } from '../../src/lifecycle/segment-reader.ts';
import { createdAtFromMicros, eventJson, type SegmentRow } from '../../src/lifecycle/segment-row.ts';
import { createTestDatabase } from '../support/service.ts';

// JSON texts as a client sends them; jsonb normalises them (key order, spacing, numbers), and a
// segment must keep what PostgreSQL made of them, not what was sent.
const PAYLOADS = [
  '{}',
  '{"name":"explore-agent"}',
  '{"unicode":"café 東京 😀 \\u00e9 \\ud83d\\ude00","escapes":"quote \\" backslash \\\\ tab \\t newline \\n ctrl \\u0001 slash \\/"}',
  '{"numbers":[0,-0,1.0,1.50,-2.5e-3,1e3,1E+21,12345678901234567890123,3.14159265358979323846264338327950288,0.000001]}',
  '{"nested":{"a":{"b":{"c":[[],[{}],{"d":null}]}}},"t":true,"f":false,"n":null}',
  '{"zz":1,"a":2,"bbb":3,"cc":4,"a":5}',
  '{"empty_object":{},"empty_array":[],"empty_string":""}',
  `{"long":"${'x'.repeat(5000)}","list":[${Array.from({ length: 300 }, (_, i) => i).join(',')}]}`,
];
const CREATED_AT = ['2026-01-01 00:00:00+00', '1969-12-31 23:59:59.999999+00', '2026-06-30 23:59:59.000001+02', '0001-01-01 00:00:00+00', '9999-12-31 23:59:59.999999+00'];

type StoredRow = Omit<SegmentRow, 'sequence' | 'position' | 'created_at'> & { json: string; sequence: string; position: string; micros: string };

let sql: postgres.Sql;
beforeAll(async () => {
  // A session time zone far from UTC: event_json() and the segment must not depend on it.
  sql = postgres(await createTestDatabase(), { max: 1, onnotice: () => {}, connection: { TimeZone: 'Asia/Kolkata' } });
  const aggregateId = randomUUID();
  const items = PAYLOADS.map((payload, i) => {
    const [type, verb] = i % 2 ? ['agent', 'created'] : ['task-queue_2', 'step_done'];
    return `{"idx":${i},"grp":${i},"id":"${randomUUID()}","event_type":"${type}.${verb}","aggregate_type":"${type}",`
      + `"aggregate_id":"${i % 3 ? aggregateId : randomUUID()}","payload":${payload},"metadata":${PAYLOADS[(i + 3) % PAYLOADS.length]},"version":${i + 1}}`;
  });
  const created = await sql.unsafe(`select r_status from append_events($1::text::jsonb)`, [`[${items.join(',')}]`]);
  expect(created.map((r) => r.r_status)).toEqual(PAYLOADS.map(() => 'created'));
  // Plain INSERTs for created_at values append_events() never takes (it uses the clock).
  for (const [i, at] of CREATED_AT.entries()) {
    await sql`insert into events (position, id, event_type, aggregate_type, aggregate_id, sequence, payload, metadata, version, created_at)
      values (${1000 + i * 7}, ${randomUUID()}, 'run.finished', 'run', ${randomUUID()}, ${2_147_483_648 + i}, ${sql.json({ i })}, '{}', 2147483647, ${at}::text::timestamptz)`;
  }
});
afterAll(() => sql.end());

describe('a segment built from stored events', () => {
  it('rebuilds event_json(e) byte for byte for every event', async () => {
    const stored = await sql<StoredRow[]>`
      select event_json(e) as json, e.id, e.event_type, e.aggregate_type, e.aggregate_id, e.sequence, e.position,
             e.payload::text as payload, e.metadata::text as metadata, e.version,
             (extract(epoch from e.created_at) * 1000000)::int8 as micros
      from events e order by e.position`;
    expect(stored).toHaveLength(PAYLOADS.length + CREATED_AT.length);
    expect(stored.slice(-CREATED_AT.length).map((s) => JSON.parse(s.json).created_at)).toEqual([
      '2026-01-01T00:00:00.000000Z', '1969-12-31T23:59:59.999999Z', '2026-06-30T21:59:59.000001Z', '0001-01-01T00:00:00.000000Z', '9999-12-31T23:59:59.999999Z',
    ]);
    // created_at from the instant, not from PostgreSQL's text: the formatting is under test too.
    const rows: SegmentRow[] = stored.map(({ json: _, micros, ...r }) => ({
      ...r, sequence: Number(r.sequence), position: Number(r.position), created_at: createdAtFromMicros(BigInt(micros)),
    }));
    const decoded = await (await openSegment(encodeSegment(rows, { rowGroupSize: 4 }))).readAll();
    expect(decoded.map(eventJson)).toEqual(stored.map((s) => s.json));
    expect(decoded.filter((r, i) => !Buffer.from(eventJson(r)).equals(Buffer.from(stored[i]!.json)))).toEqual([]);
  });
});
