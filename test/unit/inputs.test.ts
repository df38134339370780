import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config.ts';
import { AppError } from '../../src/errors.ts';
import { parseAppendBody } from '../../src/events/append-input.ts';
import { parseEventQuery } from '../../src/events/query-input.ts';
import { instantInUtc, parseInstant } from '../../src/events/timestamp.ts';

describe('instantInUtc', () => {
  it.each([
    ['2026-11-01T02:00:00.123456+02:00', '2026-11-01T00:00:00.123456Z'],
    ['2026-12-31T23:30:00.000001-01:00', '2027-01-01T00:30:00.000001Z'],
    ['2026-01-01T00:00:00.000000+00:00', '2026-01-01T00:00:00.000000Z'],
    ['0001-01-01T00:30:00.000000+01:00', '0001-01-01T00:30:00.000000+01:00'],
    ['9999-12-31T23:00:00.000000-02:00', '9999-12-31T23:00:00.000000-02:00'],
  ])('%s → %s', (input, output) => expect(instantInUtc(input)).toBe(output));
});

describe('parseInstant', () => {
  it.each([
    ['2026-11-23', '2026-11-23T00:00:00.000000+00:00'],
    ['2026-11-23T01:44:44.123456Z', '2026-11-23T01:44:44.123456+00:00'],
    ['2026-11-23T01:44:44.1234567Z', '2026-11-23T01:44:44.123456+00:00'],
    ['2026-11-23T01:44', '2026-11-23T01:44:00.000000+00:00'],
    ['2026-11-23 01:44:44+02:00', '2026-11-23T01:44:44.000000+02:00'],
    ['2026-11-23T01:44:44 02:00', '2026-11-23T01:44:44.000000+02:00'],
    ['2026-11-23T01:44:44-0530', '2026-11-23T01:44:44.000000-05:30'],
    ['2024-02-29', '2024-02-29T00:00:00.000000+00:00'],
    ['0001-01-01T00:00:00-15:59', '0001-01-01T00:00:00.000000-15:59'],
  ])('%s → %s', (input, output) => expect(parseInstant(input)).toBe(output));

  it.each(['2026-02-30', '2025-02-29', '2026-13-01', '2026-11-23T24:00:00Z', '2026-11-23T01:60Z', 'now', '', '2026-11-23T01:44:44+25:00', '2026-11-23T01:44:44+16:00', '1700000000'])(
    'refuses %s',
    (input) => expect(parseInstant(input)).toBeNull(),
  );
});

describe('parseEventQuery', () => {
  it('applies defaults', () => {
    expect(parseEventQuery({})).toEqual({ limit: 100, offset: 0, order: 'asc' });
  });

  it('names every bad parameter', () => {
    try {
      parseEventQuery({ limit: ['0'], order: ['sideways'], nope: ['1'] });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(AppError);
      expect((e as AppError).extensions.errors).toHaveLength(3);
    }
  });

  it('does not treat inherited object keys as parameters', () => {
    expect(() => parseEventQuery({ constructor: ['x'] })).toThrow(AppError);
    expect(() => parseEventQuery({ __proto__: ['x'] } as never)).not.toThrow();
  });
});

describe('parseAppendBody', () => {
  it('derives aggregate_type, generates an id and applies defaults', () => {
    const e = parseAppendBody({ event_type: 'agent.created', aggregate_id: '550E8400-E29B-41D4-A716-446655440000' });
    expect(e).toMatchObject({ aggregateType: 'agent', aggregateId: '550e8400-e29b-41d4-a716-446655440000', payload: {}, metadata: {}, version: 1, expectedSequence: null });
    expect(e.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps payload objects as sent, without copying', () => {
    const payload = JSON.parse('{"a":{"b":[1,{"c":null}]}}');
    expect(parseAppendBody({ event_type: 'agent.created', aggregate_id: '550e8400-e29b-41d4-a716-446655440000', payload }).payload).toBe(payload);
  });

  it('names a missing field as missing, and a field of another JSON type by the type it needs', () => {
    const errors = (body: unknown) => {
      try {
        parseAppendBody(body);
      } catch (error) {
        return (error as AppError).extensions.errors;
      }
    };
    expect(errors({ payload: {} })).toEqual([{ pointer: '/event_type', detail: 'is required' }, { pointer: '/aggregate_id', detail: 'is required' }]);
    expect(errors({ event_type: 7, aggregate_id: ['x'] })).toEqual([{ pointer: '/event_type', detail: 'must be a string' }, { pointer: '/aggregate_id', detail: 'must be a string' }]);
  });
});

describe('parseConfig', () => {
  it('uses the documented defaults', () => {
    const c = parseConfig({});
    expect(c.http).toEqual({ port: 8011, host: '0.0.0.0', maxBodyBytes: 1048576 });
    expect(c.database.url).toBeUndefined(); // embedded PostgreSQL
    expect(c.database.embedded).toEqual({ dataDir: './.data/postgres', user: 'postgres' });
    expect(c.redis).toEqual({ url: 'redis://127.0.0.1:6379', clusterNodes: null, pubsub: 'broadcast', channelPrefix: '', streams: { enabled: false, maxlen: 100_000, checkIntervalMs: 5000 } });
  });

  it('reads PORT and refuses nonsense with a message naming the variable', () => {
    expect(parseConfig({ PORT: '9000' }).http.port).toBe(9000);
    expect(() => parseConfig({ PORT: 'abc' })).toThrow(/PORT/);
    expect(() => parseConfig({ REDIS_CHANNEL_PREFIX: 'a*' })).toThrow(/REDIS_CHANNEL_PREFIX/);
    expect(() => parseConfig({ DATABASE_URL: 'not a url' })).toThrow(/DATABASE_URL/);
  });

  it('reads numbers as whole decimal numbers only: blank, hex, signs and fractions are refused', () => {
    // Number() read ' ' as 0 (a random port, no request timeout) and 0x1F4B as 8011.
    for (const PORT of [' ', '0x1F4B', '+80', '80.0', '1e3', '-1']) expect(() => parseConfig({ PORT }), PORT).toThrow(/PORT: expected a whole number/);
    expect(() => parseConfig({ REQUEST_TIMEOUT_MS: ' ' })).toThrow(/REQUEST_TIMEOUT_MS/);
    expect(parseConfig({ PORT: '0' }).http.port).toBe(0);
    expect(parseConfig({ ARCHIVE_MAX_BUSY: '0.25' }).archive.maxBusy).toBe(0.25);
    expect(() => parseConfig({ ARCHIVE_MAX_BUSY: '0x1' })).toThrow(/ARCHIVE_MAX_BUSY/);
  });

  it('takes a redis:// or rediss:// REDIS_URL with a numeric database, nothing else', () => {
    for (const url of ['redis://127.0.0.1:6379', 'rediss://user:pw@cache.internal:6380/2', 'redis://h/']) expect(parseConfig({ REDIS_URL: url }).redis.url).toBe(url);
    // ioredis read http:// as a Unix socket path; a database "abc" failed after the start.
    for (const url of ['http://127.0.0.1:6379', 'localhost:6379', 'redis://127.0.0.1:6379/abc']) expect(() => parseConfig({ REDIS_URL: url }), url).toThrow(/REDIS_URL/);
    // URLs that do not parse at all: the refinement threw "Invalid URL", past the variable's name.
    for (const url of ['redis://[bad', 'redis://host:99999', 'rediss://a b']) expect(() => parseConfig({ REDIS_URL: url }), url).toThrow(ConfigError);
  });

  it('refuses a DATABASE_URL that leaves the database to PostgreSQL (the one named as the user)', () => {
    for (const url of ['postgres://', 'postgres://db.internal:5432', 'postgresql://app@db/?sslmode=require']) {
      expect(() => parseConfig({ DATABASE_URL: url }), url).toThrow(/DATABASE_URL.*name the database/s);
      expect(() => parseConfig({ DATABASE_URL: 'postgres://db/x', DATABASE_READ_URL: url }), url).toThrow(/DATABASE_READ_URL/);
    }
    expect(parseConfig({ DATABASE_URL: 'postgres:///events?host=/run/postgresql' }).database.url).toBe('postgres:///events?host=/run/postgresql');
  });
});

describe('uuidv7', () => {
  it('makes version 7, RFC variant UUIDs that carry the time and sort by it across milliseconds', async () => {
    const { uuidv7 } = await import('../../src/events/uuid.ts');
    const ids = Array.from({ length: 5000 }, (_, i) => uuidv7(1_800_000_000_000 + i));
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(Array.from({ length: 5000 }, () => uuidv7(1_800_000_000_000))).size).toBe(5000);
    const embedded = Number.parseInt(uuidv7().replaceAll('-', '').slice(0, 12), 16);
    expect(Math.abs(embedded - Date.now())).toBeLessThan(60_000);
  });
});

describe('configuration names', () => {
  it('reads GROUP_COMMIT_MAX_EVENTS, and its former name APPEND_MAX_BATCH_EVENTS', async () => {
    const { parseConfig } = await import('../../src/config.ts');
    expect(parseConfig({}).append.maxTransactionEvents).toBe(2000);
    expect(parseConfig({ GROUP_COMMIT_MAX_EVENTS: '50' }).append.maxTransactionEvents).toBe(50);
    expect(parseConfig({ APPEND_MAX_BATCH_EVENTS: '60' }).append.maxTransactionEvents).toBe(60);
    expect(parseConfig({ GROUP_COMMIT_MAX_EVENTS: '50', APPEND_MAX_BATCH_EVENTS: '60' }).append.maxTransactionEvents).toBe(50);
  });
});
