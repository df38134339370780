import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findConsoleDir, pickEncoding } from '../../src/admin/console-assets.ts';

const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

describe('the console assets', () => {
  it('are found from the compiled router of an installed package as from the sources', async () => {
    const pkg = await mkdtemp(join(tmpdir(), 'evt-console-'));
    roots.push(pkg);
    await mkdir(join(pkg, 'console'), { recursive: true });
    await mkdir(join(pkg, 'dist', 'admin'), { recursive: true });
    await writeFile(join(pkg, 'package.json'), '{}');
    await writeFile(join(pkg, 'console', 'index.html'), '<!doctype html>');
    expect(findConsoleDir(join(pkg, 'dist', 'admin'))).toBe(join(pkg, 'console'));
    expect(findConsoleDir()).toBe(join(process.cwd(), 'console'));
    expect(() => findConsoleDir(tmpdir())).toThrow(/console\/index.html/);
  });

  it('are compressed as the client prefers: brotli, then gzip, honouring q=0', () => {
    expect(pickEncoding('gzip, deflate, br')).toBe('br');
    expect(pickEncoding('gzip, br;q=0')).toBe('gzip');
    expect(pickEncoding('*')).toBe('br');
    expect(pickEncoding('deflate')).toBe('identity');
    expect(pickEncoding(undefined)).toBe('identity');
  });
});
