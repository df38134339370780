import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Whether the postgres.js this process loads carries the fix for porsager/postgres#1208 (ADR 27):
 * without it a PostgreSQL outage can end the process. `patches/` holds the fix; a project that
 * installs the package runs its own copy of the driver, which npm does not patch.
 */
export async function driverHasWriteFix(entry = createRequire(import.meta.url).resolve('postgres')): Promise<boolean> {
  // entry is <package>/cjs/src/index.js; the service runs <package>/src (ESM), and the patch fixes both.
  const root = dirname(dirname(dirname(entry)));
  const sources = await Promise.all(['src', 'cjs/src'].map((dir) => readFile(join(root, dir, 'connection.js'), 'utf8').catch(() => '')));
  return sources.every((source) => source.includes('porsager/postgres#1208'));
}
