import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.ts';
import { parseEventQueryString } from '../../src/events/query-input.ts';
import { eventQuery, rowCountLiteral } from '../../src/store/event-query.ts';

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
