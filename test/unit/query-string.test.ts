import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.ts';
import { eventFilterSchema, parseEventFilters, parseEventQueryString } from '../../src/events/query-input.ts';

const errorsOf = (qs: string) => {
  try {
    parseEventQueryString(qs, 500);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return (error as AppError).extensions.errors;
  }
  throw new Error(`${qs} was accepted`);
};

describe('query strings read through the documented parameter schemas', () => {
  it('applies the documented defaults and lower-cases ids', () => {
    expect(parseEventQueryString('aggregate_id=550E8400-E29B-41D4-A716-446655440000')).toEqual({
      aggregateId: '550e8400-e29b-41d4-a716-446655440000', limit: 100, offset: 0, order: 'asc',
    });
  });

  it.each([
    ['limit=501', [{ pointer: '/limit', detail: 'must be an integer from 1 to 500' }]],
    ['limit=07', [{ pointer: '/limit', detail: 'must be an integer from 1 to 500' }]],
    ['after=1e3', [{ pointer: '/after', detail: 'must be a position (integer >= 0)' }]],
    ['limit=1&limit=2', [{ pointer: '/limit', detail: 'given more than once' }]],
    ['__proto__=x', [{ pointer: '/__proto__', detail: expect.stringMatching(/^unknown parameter; known: aggregate_type, /) }]],
    ['a~b/c=1', [{ pointer: '/a~0b~1c', detail: expect.stringMatching(/^unknown parameter/) }]],
    ['from=2026-02-01&to=2026-01-01', [{ pointer: '/from', detail: 'must not be later than to' }]],
    ['from=2026-11-23T00:00:00.000002Z&to=2026-11-23T00:00:00.000001Z', [{ pointer: '/from', detail: 'must not be later than to' }]],
    ['from=2026-11-23T01:00:00.000002%2B01:00&to=2026-11-23T00:00:00.000001Z', [{ pointer: '/from', detail: 'must not be later than to' }]],
  ])('%s is refused, naming the parameter', (qs, errors) => {
    expect(errorsOf(qs)).toEqual(errors);
  });

  it('takes from up to to, compared to the microsecond whatever the offsets', () => {
    for (const qs of ['from=2026-11-23T00:00:00.000001Z&to=2026-11-23T00:00:00.000001Z', 'from=2026-11-23T00:00:00.000001Z&to=2026-11-23T00:00:00.000002Z', 'from=2026-11-23T01:00:00.000002%2B01:00&to=2026-11-23T00:00:00.000002Z']) {
      expect(() => parseEventQueryString(qs, 500)).not.toThrow();
    }
  });

  it('compares from and to only once both are instants', () => {
    expect(errorsOf('from=2026-02-30&to=2026-01-01')).toEqual([{ pointer: '/from', detail: expect.stringMatching(/^must be an ISO 8601 instant/) }]);
  });

  it('reads the stream filters alone: paging parameters are unknown there', () => {
    expect(parseEventFilters({ after: ['5'] })).toEqual({ after: 5 });
    expect(() => parseEventFilters({ limit: ['5'] })).toThrow(AppError);
  });

  it('takes the replay filter as JSON values: after is a number, not text', () => {
    expect(eventFilterSchema.safeParse({ after: 5, aggregate_type: 'task' }).success).toBe(true);
    expect(eventFilterSchema.safeParse({ after: '5' }).error?.issues[0]?.message).toBe('must be a position (integer >= 0)');
  });
});
