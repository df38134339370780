import { Hono } from 'hono';
import type { ApiKey, Scope } from '../config.ts';

const ALL_SCOPES: Scope[] = ['read', 'write', 'admin'];

/** GET /auth/key: what the presented key may do (never the secret), so the console can disable what would be refused. */
export function createAuthKeyRoutes({ apiKeys }: { apiKeys: ApiKey[] }) {
  return new Hono().get('/key', (c) => {
    if (apiKeys.length === 0) return c.json({ auth: 'open', label: null, scopes: ALL_SCOPES });
    const label = c.get('apiKey' as never) as string;
    const key = apiKeys.find((k) => k.label === label)!;
    return c.json({ auth: 'key', label, scopes: ALL_SCOPES.filter((s) => key.scopes.has(s)) });
  });
}
