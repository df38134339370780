import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { driverHasWriteFix } from '../../src/postgres/driver-check.ts';

const installed = dirname(dirname(dirname(createRequire(import.meta.url).resolve('postgres'))));
const copies: string[] = [];
afterAll(() => Promise.all(copies.map((d) => rm(d, { recursive: true, force: true }))));

describe('driverHasWriteFix', () => {
  it('finds the fix in the postgres.js this repository installs (patch-package in npm ci)', async () => {
    expect(await driverHasWriteFix()).toBe(true);
  });

  it('reports a copy without it, as npm installs it for a project using the package', async () => {
    const copy = await mkdtemp(join(tmpdir(), 'postgres-js-'));
    copies.push(copy);
    await cp(installed, copy, { recursive: true });
    const esm = join(copy, 'src', 'connection.js');
    await writeFile(esm, (await readFile(esm, 'utf8')).replaceAll('porsager/postgres#1208', 'upstream'));
    expect(await driverHasWriteFix(join(copy, 'cjs', 'src', 'index.js'))).toBe(false);
  });
});
