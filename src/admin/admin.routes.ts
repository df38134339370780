import { type Context, Hono } from 'hono';
import { AppError } from '../errors.ts';
import { type ConsoleAsset, findConsoleDir, loadConsoleAssets, pickEncoding } from './console-assets.ts';

export interface AdminRoutesOptions {
  consoleDir?: string;
}

// Only this origin's own files and API: nothing from elsewhere can load, even by mistake.
const CSP = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// On every file, not only the shell: the shell is also an asset (assets/index.html), and a page
// served without these could be framed or load from elsewhere.
const SECURITY = { 'x-content-type-options': 'nosniff', 'content-security-policy': CSP, 'referrer-policy': 'no-referrer' };

function send(c: Context, asset: ConsoleAsset): Response {
  const headers: Record<string, string> = { etag: asset.etag, 'cache-control': 'no-cache', vary: 'accept-encoding', ...SECURITY };
  if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304, headers);
  const encoding = pickEncoding(c.req.header('accept-encoding'));
  if (encoding !== 'identity') headers['content-encoding'] = encoding;
  return c.body(asset.body(encoding), 200, { ...headers, 'content-type': asset.type });
}

/**
 * GET /admin: the console page, which uses only the public API. The shell and assets need no key
 * (they hold no data); every other path under /admin is a view of the page and gets the shell.
 */
export function createAdminRoutes(options: AdminRoutesOptions = {}) {
  let assets: Map<string, ConsoleAsset> | undefined;
  const load = () => (assets ??= loadConsoleAssets(options.consoleDir ?? findConsoleDir()));
  const shell = (c: Context) => send(c, load().get('index.html')!);
  return new Hono()
    // A file of the console, also in a folder (lib/api.js, or lib%2Fapi.js as a generated client sends it).
    .get('/assets/:file{.+}', (c) => {
      const name = c.req.param('file');
      const asset = load().get(name);
      if (!asset) throw new AppError('not_found', `the console has no asset ${name}`);
      return send(c, asset);
    })
    .get('/', shell)
    .get('/*', shell);
}
