import postgres from 'postgres';

/**
 * DATABASE_URL in the forms libpq (psql, pg_dump, most drivers) takes, for postgres.js.
 * postgres.js reads host, port, user, password, database and options such as sslmode from a
 * URL, but not a Unix socket written the libpq way: `?host=/var/run/postgresql` would go to the
 * server as a session setting (and be refused), a percent-encoded socket directory as host
 * (`postgresql://%2Fvar%2Frun%2Fpostgresql/events`) would be taken for a host name, and
 * `postgresql://user@/events?host=…` (a user and no host) is not a URL that parses at all.
 * Those take the socket (or host and port) out of the URL and into postgres.js's options; any
 * other URL goes to postgres.js as it is.
 */
export interface PostgresTarget {
  /** The URL for postgres.js. */
  url: string;
  /** Options that override what the URL says: a socket path, or a host and port. */
  options: { path?: string; host?: string; port?: number };
  /** Where it connects and to which database, without credentials (for logs). */
  where: string;
}

const URL_PARTS = /^(postgres(?:ql)?:\/\/)([^/?#]*)([^?#]*)(\?[^#]*)?$/i;
const HOST_PORT = /^(.*?)(?::(\d+))?$/;

export function postgresTarget(url: string): PostgresTarget {
  const parts = URL_PARTS.exec(url);
  if (!parts) throw new TypeError('a PostgreSQL URL starts with postgres:// or postgresql://');
  const [, scheme, authority, path, search = ''] = parts as unknown as [string, string, string, string, string | undefined];
  const at = authority.lastIndexOf('@');
  const userinfo = authority.slice(0, at + 1);
  const [, rawHost = '', rawPort] = HOST_PORT.exec(authority.slice(at + 1))!;
  const params = new URLSearchParams(search);
  const queryHost = params.get('host');
  const queryPort = params.get('port');
  const authorityHost = decodeURIComponent(rawHost);
  const database = decodeURIComponent(path.slice(1)) || '(default database)';

  const socketInAuthority = authorityHost.startsWith('/');
  if (queryHost === null && queryPort === null && !socketInAuthority && !(userinfo && rawHost === '')) {
    return { url, options: {}, where: `${authority.slice(at + 1) || process.env.PGHOST || 'localhost'}/${database}` };
  }

  const host = queryHost ?? (authorityHost || process.env.PGHOST || 'localhost');
  const port = Number(queryPort ?? rawPort ?? process.env.PGPORT ?? 5432);
  if (!Number.isSafeInteger(port) || port < 1 || port > 65535) throw new TypeError(`not a port: ${queryPort ?? rawPort}`);
  params.delete('host');
  params.delete('port');
  const query = params.size > 0 ? `?${params}` : '';
  // The host written into the URL is a placeholder: the options below take its place.
  const rewritten = `${scheme}${userinfo}localhost${path}${query}`;
  if (host.startsWith('/')) {
    const socket = `${host.replace(/\/+$/, '')}/.s.PGSQL.${port}`;
    return { url: rewritten, options: { path: socket }, where: `${socket}/${database}` };
  }
  return { url: rewritten, options: { host, port }, where: `${host}:${port}/${database}` };
}

/** A postgres.js client for a DATABASE_URL in any form postgresTarget() takes. */
export function connectPostgres(url: string, options: postgres.Options<Record<string, postgres.PostgresType>> = {}): postgres.Sql {
  const target = postgresTarget(url);
  return postgres(target.url, { ...target.options, ...options });
}

/** The same server and credentials, another database. */
export function withDatabaseName(url: string, name: string): string {
  const parts = URL_PARTS.exec(url);
  if (!parts) throw new TypeError('a PostgreSQL URL starts with postgres:// or postgresql://');
  return `${parts[1]}${parts[2]}/${encodeURIComponent(name)}${parts[4] ?? ''}`;
}

/** Whether postgresTarget() and postgres.js can take this URL. */
export function isPostgresUrl(url: string): boolean {
  try {
    new URL(postgresTarget(url).url);
    return true;
  } catch {
    return false;
  }
}
