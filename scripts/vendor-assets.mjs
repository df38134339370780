// Copies the browser files the service serves (/docs, the admin console's charts) from their
// devDependencies into vendor/, which the package ships. A user's install then gets two files
// of each instead of the packages and what they depend on (swagger-ui-dist brings a telemetry
// package with an install script).
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const packageDir = (name) => dirname(require.resolve(`${name}/package.json`));

const files = {
  'swagger-ui': ['swagger-ui-dist', ['swagger-ui-bundle.js', 'swagger-ui.css', 'LICENSE', 'NOTICE']],
  uplot: ['uplot', ['dist/uPlot.iife.min.js', 'dist/uPlot.min.css', 'LICENSE']],
};

rmSync(join(root, 'vendor'), { recursive: true, force: true });
for (const [target, [name, paths]] of Object.entries(files)) {
  mkdirSync(join(root, 'vendor', target), { recursive: true });
  for (const path of paths) copyFileSync(join(packageDir(name), path), join(root, 'vendor', target, path.split('/').pop()));
}
