import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The path of one of the package's own files outside the code (`console/`, `vendor/`), found by
 * walking up from `from` to the directory holding package.json and the file, so it works from
 * src/ and dist/, in this repository and in an installed package.
 */
export function packageFile(path: string, from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, path)) && existsSync(join(dir, 'package.json'))) return join(dir, path);
    if (dirname(dir) === dir) throw new Error(`${path} was not found above ${from}${path.startsWith('vendor/') ? ' (npm run build copies vendor/)' : ''}`);
  }
}
