import { readFile } from 'node:fs/promises';
import { Hono } from 'hono';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import { packageFile } from '../package-files.ts';

// From swagger-ui-dist, copied into vendor/ by the build: the page loads nothing from elsewhere, so /docs works offline.
const ASSETS = { 'swagger-ui-bundle.js': 'text/javascript; charset=utf-8', 'swagger-ui.css': 'text/css; charset=utf-8' } as const;

export const docsAssetPath = z.object({ file: z.enum(Object.keys(ASSETS) as [keyof typeof ASSETS]).describe('an asset of the page') });

const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>event-service API</title>
<link rel="icon" href="data:,"><link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="ui"></div><script src="/docs/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', deepLinking: true, validatorUrl: null, layout: 'BaseLayout' });</script>
</body></html>`;

// Not to be framed by another site (the page runs Swagger UI's inline start-up, so no script policy).
const PAGE_HEADERS = { 'content-security-policy': "frame-ancestors 'none'", 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };

export function createDocsRoutes() {
  const loaded = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();
  const load = (file: keyof typeof ASSETS) => {
    let bytes = loaded.get(file);
    if (!bytes) loaded.set(file, (bytes = readFile(packageFile(`vendor/swagger-ui/${file}`)).then((b) => Uint8Array.from(b))));
    return bytes;
  };
  return new Hono()
    .get('/', (c) => c.html(page, 200, PAGE_HEADERS))
    .get('/:file', async (c) => {
      const parsed = docsAssetPath.safeParse(c.req.param());
      if (!parsed.success) throw new AppError('not_found', `no docs asset ${c.req.param('file')}`);
      const { file } = parsed.data;
      return c.body(await load(file), 200, { 'content-type': ASSETS[file], 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' });
    });
}
