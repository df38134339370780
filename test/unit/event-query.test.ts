import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.ts';
import { parseEventQueryString } from '../../src/events/query-input.ts';
import { eventQuery, pagedQuery, pageRows, rowCountLiteral } from '../../src/store/event-query.ts';

const statement = (qs: string) => eventQuery(parseEventQueryString(qs));
const flat = (text: string) => text.replace(/\s+/g, ' ');

describe('parseEventQueryString', () => {
  it('keeps a repeated parameter repeated, so it is refused as in the HTTP route', () => {
    expect(parseEventQueryString('aggregate_type=a&limit=5')).toMatchObject({ aggregateType: 'a', limit: 5 });
    expect(() => parseEventQueryString('limit=1&limit=2')).toThrow(AppError);
  });
});

describe('eventQuery', () => {
  it('writes the limit into the text where the plan does not depend on the values, and sends every value as a parameter', () => {
    expect(flat(statement('aggregate_id=0195b6a4-6f7e-7000-8000-000000000001&after=7').text)).toMatch(/where e\.aggregate_id = \$1 and e\.position > \$2 order by e\.position asc limit 101$/);
    expect(statement('aggregate_id=0195b6a4-6f7e-7000-8000-000000000001&after=7').params).toEqual(['0195b6a4-6f7e-7000-8000-000000000001', 7]);
    expect(flat(statement('after=7&order=desc&limit=10').text)).toMatch(/where e\.position < \$1 order by e\.position desc limit 11$/);
    expect(flat(statement('limit=10').text)).toMatch(/where true order by e\.position asc limit 11$/);
  });

  it('writes the limit into the text for a correlation id and a time range', () => {
    expect(flat(statement('correlation_id=c').text)).toMatch(/= \$1 order by e\.position asc limit 101$/);
    expect(flat(statement('from=2026-01-01&to=2026-01-02&event_type=a.b&correlation_id=c').text)).toMatch(/limit 101$/);
  });

  it('keeps limit and offset parameters where the type picks the index', () => {
    for (const qs of ['event_type=a.b', 'aggregate_type=a', 'event_type=a.b&from=2026-01-01', 'aggregate_type=a&after=5']) {
      const s = statement(qs);
      expect(flat(s.text)).toMatch(/limit \$\d offset \$\d$/);
      expect(s.params.slice(-2)).toEqual([101, 0]);
    }
  });

  it('adds OFFSET to a cached statement only when it is not zero', () => {
    expect(flat(statement('offset=0').text)).not.toContain('offset');
    const s = statement('offset=20&limit=5');
    expect(flat(s.text)).toMatch(/limit 6 offset \$1$/);
    expect(s.params).toEqual([20]);
  });

  it('prepares a bounded number of literal limits: others go as a parameter', () => {
    const texts = new Set(Array.from({ length: 50 }, (_, i) => statement(`limit=${i + 1}`).text));
    const literal = [...texts].filter((t) => /limit \d+$/.test(flat(t)));
    expect(literal.length).toBeLessThanOrEqual(8);
    expect([...texts].filter((t) => /limit \$1 offset \$2$/.test(flat(t)))).toHaveLength(1);
  });

  it('lets only integers into the text as row counts', () => {
    expect(rowCountLiteral(100)).toBe('100');
    expect(() => rowCountLiteral(1.5)).toThrow(TypeError);
    expect(() => rowCountLiteral(-1)).toThrow(TypeError);
    expect(() => rowCountLiteral(Number.NaN)).toThrow(TypeError);
  });
});

describe('pages bounded in bytes', () => {
  const rows = [40, 40, 40, 40, 40].map((n, i) => ({ i, n }));
  const page = (limit: number, maxBytes: number, from = rows) => {
    const { page: p, more } = pageRows(from, limit, maxBytes, (r) => r.n);
    return { rows: p.map((r) => r.i), more };
  };

  it('ends a page with the row that reaches the budget, and then says more may follow', () => {
    expect(page(10, 1000)).toEqual({ rows: [0, 1, 2, 3, 4], more: false });
    expect(page(10, 100)).toEqual({ rows: [0, 1, 2], more: true });
    expect(page(10, 120)).toEqual({ rows: [0, 1, 2], more: true });
    expect(page(10, 121)).toEqual({ rows: [0, 1, 2, 3], more: true });
    // One row over the budget on its own is a page.
    expect(page(10, 1)).toEqual({ rows: [0], more: true });
    // The read stopped at the budget on its last row: more may follow though none was read.
    expect(page(10, 80, rows.slice(0, 2))).toEqual({ rows: [0, 1], more: true });
  });

  it('still ends a page at the limit', () => {
    expect(page(2, 1000)).toEqual({ rows: [0, 1], more: true });
    expect(page(5, 1000)).toEqual({ rows: [0, 1, 2, 3, 4], more: false });
    expect(page(10, 1000, [])).toEqual({ rows: [], more: false });
  });

  it('writes the budget into the text and sends the rows to skip as a parameter', () => {
    const q = parseEventQueryString('limit=10&order=desc');
    expect(flat(pagedQuery(q, { maxBytes: 4096 }).text)).toMatch(/over \(order by position desc rows between unbounded preceding and 1 preceding\) as before .* where coalesce\(before, 0\) < 4096 order by position desc$/);
    const skipped = pagedQuery({ ...q, offset: 0, limit: 30 }, { maxBytes: 4096, skip: 20 });
    expect(flat(skipped.text)).toContain('row_number() over (order by e.position desc) as n');
    const skip = /filter \(where n > \$(\d+)\)/.exec(skipped.text);
    expect(skipped.params[Number(skip![1]) - 1]).toBe(20);
    expect(pagedQuery({ ...q, offset: 0, limit: 30 }, { maxBytes: 4096, skip: 7 }).text).toBe(skipped.text);
  });
});
