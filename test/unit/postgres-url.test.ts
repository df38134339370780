import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.ts';
import { isPostgresUrl, postgresTarget, withDatabaseName } from '../../src/postgres/url.ts';

describe('postgresTarget: DATABASE_URL as libpq takes it', () => {
  it('leaves a URL with a host to postgres.js as it is', () => {
    for (const url of ['postgres://events:s%40cret@db.internal:5433/events?sslmode=require', 'postgresql://[::1]:5432/events', 'postgres://a:5432,b:5433/events']) {
      expect(postgresTarget(url)).toMatchObject({ url, options: {} });
    }
    expect(postgresTarget('postgres://events:secret@db.internal:5433/events').where).toBe('db.internal:5433/events');
  });

  it('takes a Unix socket directory from ?host= out of the URL (it would reach the server as a setting)', () => {
    expect(postgresTarget('postgresql:///events?host=/var/run/postgresql')).toEqual({
      url: 'postgresql://localhost/events', options: { path: '/var/run/postgresql/.s.PGSQL.5432' }, where: '/var/run/postgresql/.s.PGSQL.5432/events',
    });
    // A user and no host is no WHATWG URL; libpq takes it, and so do we. Other options stay.
    expect(postgresTarget('postgres://events:pw@/events?host=/cloudsql/proj:region:db&port=6432&sslmode=disable')).toMatchObject({
      url: 'postgres://events:pw@localhost/events?sslmode=disable', options: { path: '/cloudsql/proj:region:db/.s.PGSQL.6432' },
    });
  });

  it('reads a percent-encoded socket directory in place of the host, with its port', () => {
    expect(postgresTarget('postgresql://%2Fvar%2Frun%2Fpostgresql:5433/events').options).toEqual({ path: '/var/run/postgresql/.s.PGSQL.5433' });
  });

  it('takes a host name and port from the query too', () => {
    expect(postgresTarget('postgresql:///events?host=db.internal&port=6432')).toMatchObject({ url: 'postgresql://localhost/events', options: { host: 'db.internal', port: 6432 } });
  });

  it('refuses what is not a PostgreSQL URL, and a port that is not one', () => {
    for (const url of ['not a url', 'mysql://db/x', 'http://db/x', 'postgres:///x?host=/s&port=99999']) expect(isPostgresUrl(url), url).toBe(false);
    for (const url of ['postgres:///x', 'postgres://user@/x?host=/run/pg', 'postgresql://%2Frun%2Fpg/x']) expect(isPostgresUrl(url), url).toBe(true);
    expect(() => parseConfig({ DATABASE_URL: 'mysql://db/x' })).toThrow(/DATABASE_URL: expected a postgres:\/\/ or postgresql:\/\/ URL/);
    expect(parseConfig({ DATABASE_URL: 'postgresql://user@/events?host=/var/run/postgresql' }).database.url).toBe('postgresql://user@/events?host=/var/run/postgresql');
  });

  it('names another database on the same server, keeping credentials and options', () => {
    expect(withDatabaseName('postgres://u:p@h:1/postgres?sslmode=require', 'evt_1')).toBe('postgres://u:p@h:1/evt_1?sslmode=require');
    expect(withDatabaseName('postgresql:///postgres?host=/var/run/postgresql', 'evt_1')).toBe('postgresql:///evt_1?host=/var/run/postgresql');
  });
});
