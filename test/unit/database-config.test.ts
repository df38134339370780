import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config.ts';

const PRIMARY = 'postgres://events@db-primary:5432/events';

describe('the configuration of read replicas and failing fast', () => {
  it('has no replica by default, waits 250 ms for one to replay a position, and probes after 300 ms for up to 1 s, every 250 ms while down', () => {
    const { database } = parseConfig({ DATABASE_URL: PRIMARY });
    expect(database.readUrl).toBeUndefined();
    expect(database.minPositionWaitMs).toBe(250);
    expect(database.probe).toEqual({ afterMs: 300, timeoutMs: 1000, intervalMs: 250 });
  });

  it('takes a replica URL in the forms DATABASE_URL takes, and refuses anything else', () => {
    expect(parseConfig({ DATABASE_URL: PRIMARY, DATABASE_READ_URL: 'postgresql://events@/events?host=/var/run/postgresql' }).database.readUrl).toMatch(/^postgresql:/);
    expect(() => parseConfig({ DATABASE_URL: PRIMARY, DATABASE_READ_URL: 'mysql://replica/events' })).toThrow(/DATABASE_READ_URL/);
    expect(() => parseConfig({ DATABASE_URL: PRIMARY, DATABASE_READ_MIN_POSITION_WAIT_MS: '-1' })).toThrow(/DATABASE_READ_MIN_POSITION_WAIT_MS/);
    expect(() => parseConfig({ DATABASE_URL: PRIMARY, DATABASE_PROBE_TIMEOUT_MS: 'soon' })).toThrow(/DATABASE_PROBE_TIMEOUT_MS/);
  });

  it('refuses a replica without DATABASE_URL: the embedded PostgreSQL has none', () => {
    expect(() => parseConfig({ DATABASE_READ_URL: PRIMARY })).toThrow(ConfigError);
    expect(() => parseConfig({ DATABASE_READ_URL: PRIMARY })).toThrow(/DATABASE_READ_URL.*DATABASE_URL/);
  });
});

describe('URLs with credentials', () => {
  it('refuses a % that is not a percent-escape, naming the variable, and takes %25', () => {
    expect(() => parseConfig({ DATABASE_URL: 'postgres://u:Secret%zz@db:5432/events' })).toThrow(/DATABASE_URL: has a % that is not a percent-escape/);
    expect(() => parseConfig({ DATABASE_URL: PRIMARY, DATABASE_READ_URL: 'postgres://u:50%@db:5432/events' })).toThrow(/DATABASE_READ_URL: has a %/);
    expect(() => parseConfig({ REDIS_URL: 'redis://u:Sec%zz@cache:6379' })).toThrow(/REDIS_URL: has a %/);
    expect(parseConfig({ DATABASE_URL: 'postgres://u:50%25@db:5432/events' }).database.url).toBe('postgres://u:50%25@db:5432/events');
  });
});
