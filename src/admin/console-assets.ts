import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { packageFile } from '../package-files.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export type Encoding = 'br' | 'gzip' | 'identity';

export interface ConsoleAsset {
  type: string;
  etag: string;
  body(encoding: Encoding): Uint8Array<ArrayBuffer>;
}

/** The package's top-level `console/` folder, found by walking up, so it works from src/ and dist/. */
export function findConsoleDir(from = dirname(fileURLToPath(import.meta.url))): string {
  return dirname(packageFile(join('console', 'index.html'), from));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => TYPES[extname(name)] !== undefined && !name.endsWith('.d.ts'))
    .map((name) => join(dir, name));
}

function asset(path: string): ConsoleAsset {
  const raw = new Uint8Array(readFileSync(path));
  const compressed = new Map<Encoding, Uint8Array<ArrayBuffer>>([['identity', raw]]);
  return {
    type: TYPES[extname(path)]!,
    etag: `"${createHash('sha256').update(raw).digest('base64url').slice(0, 22)}"`,
    body(encoding) {
      let body = compressed.get(encoding);
      if (!body) {
        const out = encoding === 'br'
          ? brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } })
          : gzipSync(raw, { level: 9 });
        body = new Uint8Array(out);
        compressed.set(encoding, body);
      }
      return body;
    },
  };
}

/** Files served under /admin/assets/ (`dir` plus uPlot), read on first use and compressed once per encoding. */
export function loadConsoleAssets(dir: string): Map<string, ConsoleAsset> {
  const assets = new Map<string, ConsoleAsset>();
  for (const path of filesUnder(dir)) assets.set(relative(dir, path).split(sep).join('/'), asset(path));
  assets.set('vendor/uplot.js', asset(packageFile('vendor/uplot/uPlot.iife.min.js')));
  assets.set('vendor/uplot.css', asset(packageFile('vendor/uplot/uPlot.min.css')));
  return assets;
}

export function pickEncoding(acceptEncoding: string | undefined): Encoding {
  const accepted = new Map<string, number>();
  for (const part of (acceptEncoding ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    if (name) accepted.set(name, q === undefined ? 1 : Number(q));
  }
  const ok = (name: string) => (accepted.get(name) ?? accepted.get('*') ?? 0) > 0;
  if (ok('br')) return 'br';
  if (ok('gzip')) return 'gzip';
  return 'identity';
}
