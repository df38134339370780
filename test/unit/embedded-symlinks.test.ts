import { mkdir, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hydrateSymlinks } from '../../src/postgres/embedded.ts';

const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

// A binary package as npm leaves it when its postinstall script was skipped: the libraries and
// the list of links, none of the links.
async function fakePackage() {
  const root = await mkdtemp(join(tmpdir(), 'evt-binaries-'));
  roots.push(root);
  await mkdir(join(root, 'native', 'lib'), { recursive: true });
  await writeFile(join(root, 'native', 'lib', 'libpq.so.5.18'), 'the library');
  await writeFile(
    join(root, 'native', 'pg-symlinks.json'),
    JSON.stringify([
      { source: 'native/lib/libpq.so.5.18', target: 'native/lib/libpq.so.5' },
      { source: 'native/lib/libpq.so.5.18', target: 'native/lib/libpq.so' },
    ]),
  );
  return join(root, 'native');
}

describe('restoring the links that a skipped postinstall did not create', () => {
  it('creates each listed link, relative to its directory, pointing at the shipped file', async () => {
    const native = await fakePackage();
    await hydrateSymlinks(native);
    expect(await readlink(join(native, 'lib', 'libpq.so.5'))).toBe('libpq.so.5.18');
    expect(await readFile(join(native, 'lib', 'libpq.so'), 'utf8')).toBe('the library');
  });

  it('leaves links that exist alone, so every start after the first changes nothing', async () => {
    const native = await fakePackage();
    await hydrateSymlinks(native);
    await expect(hydrateSymlinks(native)).resolves.toBeUndefined();
    expect(await readlink(join(native, 'lib', 'libpq.so'))).toBe('libpq.so.5.18');
  });

  it('fails with a message saying what to do when a link cannot be created, instead of a server that cannot load its libraries', async () => {
    const native = await fakePackage();
    await rm(join(native, 'lib'), { recursive: true });
    await expect(hydrateSymlinks(native)).rejects.toThrow(/libpq\.so\.5 \(ENOENT\), a link the embedded PostgreSQL needs.*DATABASE_URL/s);
  });
});
