import { Hono } from 'hono';
import type { ApiKey, Scope } from '../config.ts';

const ALL_SCOPES: Scope[] = ['read', 'write', 'admin'];

/**
 * GET /auth/key: what the presented key may do, so a client (the admin console) can disable
 * what would be refused before it is refused. Never the secret. Like every GET it needs the
 * read scope (http/auth.ts); with no keys configured the service is open and says so.
 */
export function createAuthKeyRoutes({ apiKeys }: { apiKeys: ApiKey[] }) {
  return new Hono().get('/key', (c) => {
    if (apiKeys.length === 0) return c.json({ auth: 'open', label: null, scopes: ALL_SCOPES });
    // The auth middleware has matched the key and recorded its label.
    const label = c.get('apiKey' as never) as string;
    const key = apiKeys.find((k) => k.label === label)!;
    return c.json({ auth: 'key', label, scopes: ALL_SCOPES.filter((s) => key.scopes.has(s)) });
  });
}
