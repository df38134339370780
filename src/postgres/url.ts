import postgres from 'postgres';

/**
 * DATABASE_URL in libpq's forms: Unix sockets written the libpq way, which postgres.js cannot
 * parse, move into its options; any other URL goes to postgres.js as it is.
 */
export interface PostgresTarget {
  url: string;
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

export function connectPostgres(url: string, options: postgres.Options<Record<string, postgres.PostgresType>> = {}): postgres.Sql {
  const target = postgresTarget(url);
  return postgres(target.url, { ...target.options, ...options });
}

export function withDatabaseName(url: string, name: string): string {
  const parts = URL_PARTS.exec(url);
  if (!parts) throw new TypeError('a PostgreSQL URL starts with postgres:// or postgresql://');
  return `${parts[1]}${parts[2]}/${encodeURIComponent(name)}${parts[4] ?? ''}`;
}

/** Whether the URL names its database: without one, PostgreSQL connects to the one named as the user. */
export function namesDatabase(url: string): boolean {
  return (URL_PARTS.exec(url)?.[3]?.length ?? 0) > 1;
}

export function isPostgresUrl(url: string): boolean {
  try {
    new URL(postgresTarget(url).url);
    return true;
  } catch {
    return false;
  }
}
