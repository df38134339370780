import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../support/service.ts';

const ADMIN_KEY = 'assets-admin-key-1';
let t: TestService;
beforeAll(async () => {
  t = await startTestService({ API_KEYS: `${ADMIN_KEY}:admin` });
});
afterAll(() => t.close());

const fetchRaw = (path: string, headers: Record<string, string> = {}, method = 'GET') => t.app.request(path, { method, headers });
const bytes = async (res: Response) => Buffer.from(await res.arrayBuffer());

/** The files the overview loads at first: the shell, its stylesheet, every module app.js imports, and uPlot. */
async function initialPage(): Promise<string[]> {
  const files = ['/admin', '/admin/assets/app.css', '/admin/assets/vendor/uplot.js', '/admin/assets/vendor/uplot.css'];
  const queue = ['app.js'];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const text = await (await fetchRaw(`/admin/assets/${name}`)).text();
    for (const [, spec] of text.matchAll(/^import [^;]*? from '([^']+)';$/gm)) queue.push(new URL(spec!, `http://x/${name}`).pathname.slice(1));
  }
  return [...files, ...[...seen].map((n) => `/admin/assets/${n}`)];
}

describe('GET /admin', () => {
  it('serves the page without a key even when keys are on, with a policy that allows only this origin', async () => {
    // The page is also an asset (assets/index.html): served without the policy, it could be framed.
    for (const path of ['/admin', '/admin/', '/admin/events', `/admin/aggregates/agent/${crypto.randomUUID()}`, '/admin/assets/index.html']) {
      const res = await fetchRaw(path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('content-security-policy'), path).toContain("default-src 'self'");
      expect(res.headers.get('content-security-policy'), path).toContain("frame-ancestors 'none'");
      expect(res.headers.get('referrer-policy'), path).toBe('no-referrer');
      expect(await res.text()).toContain('<script type="module" src="/admin/assets/app.js">');
    }
    expect((await fetchRaw('/events')).status).toBe(401);
    const docs = await fetchRaw('/docs');
    expect(docs.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
    expect(docs.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves assets with their type, compressed as the client accepts, and answers 304 to a matching ETag', async () => {
    const plain = await fetchRaw('/admin/assets/app.js', { 'accept-encoding': 'identity' });
    expect(plain.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(plain.headers.get('content-encoding')).toBeNull();
    const original = await bytes(plain);
    const br = await fetchRaw('/admin/assets/app.js', { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(brotliDecompressSync(await bytes(br))).toEqual(original);
    const gz = await fetchRaw('/admin/assets/app.js', { 'accept-encoding': 'gzip;q=1, br;q=0' });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(gunzipSync(await bytes(gz))).toEqual(original);
    const again = await fetchRaw('/admin/assets/app.js', { 'if-none-match': plain.headers.get('etag')! });
    expect(again.status).toBe(304);
    expect((await fetchRaw('/admin/assets/vendor/uplot.js')).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });

  it('answers 404 problem+json for an unknown asset or one outside the folder, 405 for other methods', async () => {
    for (const path of ['/admin/assets/nope.js', '/admin/assets/..%2F..%2Fpackage.json', '/admin/assets/lib/json-diff.d.ts']) {
      const res = await fetchRaw(path);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    }
    const post = await fetchRaw('/admin', { authorization: `Bearer ${ADMIN_KEY}` }, 'POST');
    expect(post.status).toBe(405);
    expect((await fetchRaw('/admin', {}, 'POST')).status).toBe(401);
  });

  it('the initial page weighs at most 150 KB compressed', async () => {
    let gzip = 0;
    let brotli = 0;
    for (const path of await initialPage()) {
      gzip += (await bytes(await fetchRaw(path, { 'accept-encoding': 'gzip' }))).length;
      brotli += (await bytes(await fetchRaw(path, { 'accept-encoding': 'br' }))).length;
    }
    expect(gzip).toBeLessThanOrEqual(150 * 1024);
    expect(brotli).toBeLessThanOrEqual(gzip);
    if (process.env.CONSOLE_SIZE === '1') console.log(`initial page: ${gzip} bytes gzip, ${brotli} bytes brotli`);
  });
});
