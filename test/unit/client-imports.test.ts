import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const IMPORT = /^\s*(?:import|export)\s+(?!type\b)(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;

/** Every module the light entry loads at run time (type-only imports are erased). */
function runtimeGraph(entry: string) {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      if (spec!.startsWith('.')) visit(resolve(dirname(file), spec!));
      else packages.add(spec!);
    }
  };
  visit(join(ROOT, entry));
  return { files: [...files].map((f) => relative(ROOT, f)), packages: [...packages] };
}

describe('the light client entry', () => {
  it('loads only client and event modules, and of packages only ioredis and Node built-ins', () => {
    const { files, packages } = runtimeGraph('src/client/index.ts');
    expect(files).toContain('src/client/consume.ts');
    expect(files.filter((f) => !/^src\/(client|events)\//.test(f))).toEqual([]);
    expect(packages.filter((p) => p !== 'ioredis' && !p.startsWith('node:'))).toEqual([]);
  });
});
