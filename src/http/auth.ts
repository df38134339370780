import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { ApiKey, Scope } from '../config.ts';
import { AppError } from '../errors.ts';

// Open to everyone: liveness/readiness, the API description (with its page's assets) and the
// admin console's page (it holds no data; the API calls it makes need a key).
const OPEN = new Set(['/health', '/ready', '/openapi.json', '/docs']);
const OPEN_PREFIX = '/docs/';
const isConsolePage = (method: string, p: string) => (method === 'GET' || method === 'HEAD') && (p === '/admin' || p.startsWith('/admin/'));

/** Reads need read, appends write, everything else (including routes added later) admin. */
export function requiredScope(method: string, path: string): Scope | null {
  const p = path.length > 1 ? path.replace(/\/$/, '') : path;
  if (OPEN.has(p) || p.startsWith(OPEN_PREFIX) || isConsolePage(method, p)) return null;
  if (method === 'GET' || method === 'HEAD') return 'read';
  if (method === 'POST' && (p === '/events' || p === '/events/batch')) return 'write';
  return 'admin';
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Set on a request to an open route that carries a valid key, or on any while no key is configured. */
const TRUSTED = 'trusted' as never;
export const isTrusted = (c: Context): boolean => c.get(TRUSTED) === true;
const REALM = 'Bearer realm="event-service"';
const TOKEN = /^bearer +([A-Za-z0-9._~+/-]+=*)$/i;

export interface AuthOptions {
  keys: ApiKey[];
  /** Requests per second per key (0: unlimited), with a burst of twice that. */
  ratePerSecond: number;
}

/** Bearer API keys, compared as SHA-256 digests with timingSafeEqual against every key, so timing shows nothing. */
export function createAuth({ keys, ratePerSecond }: AuthOptions): MiddlewareHandler {
  const known = keys.map((key) => ({ key, digest: digest(key.secret) }));
  const buckets = new Map<string, { tokens: number; at: number }>();

  function allow(label: string): number {
    if (ratePerSecond <= 0) return 0;
    const now = performance.now();
    const burst = ratePerSecond * 2;
    const b = buckets.get(label) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * ratePerSecond);
    b.at = now;
    buckets.set(label, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - b.tokens) / ratePerSecond);
  }

  function keyOf(header: string): ApiKey | undefined {
    const token = TOKEN.exec(header.trim())?.[1];
    const presented = digest(token ?? '');
    let match: ApiKey | undefined;
    for (const k of known) if (timingSafeEqual(k.digest, presented) && token) match = k.key;
    return match;
  }

  return async function auth(c, next) {
    const scope = requiredScope(c.req.method, c.req.path);
    if (scope === null) {
      // An open route answers anyone; with no key configured, or given a valid one, it may say more (/health's error texts).
      const header = known.length > 0 ? c.req.header('authorization') : undefined;
      if (known.length === 0 || (header && keyOf(header))) c.set(TRUSTED, true);
      return next();
    }
    if (known.length === 0) return next();
    const header = c.req.header('authorization');
    if (!header) throw new AppError('unauthorized', 'send an API key: Authorization: Bearer <key>', {}, { headers: { 'www-authenticate': REALM } });
    const match = keyOf(header);
    if (!match) {
      throw new AppError('unauthorized', 'the API key is not valid', {}, { headers: { 'www-authenticate': `${REALM}, error="invalid_token"` } });
    }
    if (!match.scopes.has(scope)) {
      throw new AppError('forbidden', `this API key lacks the ${scope} scope`, { required_scope: scope }, {
        headers: { 'www-authenticate': `${REALM}, error="insufficient_scope", scope="${scope}"` },
      });
    }
    const wait = allow(match.label);
    if (wait > 0) throw new AppError('rate_limited', `more than ${ratePerSecond} requests per second with this key`, {}, { headers: { 'retry-after': String(wait) } });
    c.set('apiKey' as never, match.label as never);
    await next();
  };
}
