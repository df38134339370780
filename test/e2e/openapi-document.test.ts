import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAjv } from '../support/openapi-contract.ts';
import { startTestService, type TestService } from '../support/service.ts';

// The served document, as standard tools take it: Redocly's linter, Ajv (JSON Schema 2020-12)
// and openapi-typescript's generated types, checked by tsc.

const run = promisify(execFile);
const bin = (name: string) => join(process.cwd(), 'node_modules', '.bin', name);
const quiet = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' };

let t: TestService;
let secured: TestService;
let dir: string;
let document: any;
beforeAll(async () => {
  [t, secured] = await Promise.all([startTestService(), startTestService({ API_KEYS: 'k:read' })]);
  dir = await mkdtemp(join(tmpdir(), 'openapi-'));
  document = await (await t.app.request('/openapi.json')).json();
  await writeFile(join(dir, 'open.json'), JSON.stringify(document));
  await writeFile(join(dir, 'secured.json'), await (await secured.app.request('/openapi.json')).text());
});
afterAll(async () => {
  await Promise.all([t?.close(), secured?.close(), dir && rm(dir, { recursive: true, force: true })]);
});

describe('the OpenAPI document', () => {
  it('describes every route of the app, and no other', () => {
    expect(document.openapi).toBe('3.1.0');
    const routes = t.app.routes
      .filter((r) => r.method !== 'ALL' && !r.path.endsWith('*'))
      .map((r) => `${r.method} ${r.path.replace(/(.)\/$/, '$1').replace(/:(\w+)(\{[^}]*\})?/g, '{$1}')}`);
    const documented = Object.entries<object>(document.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect([...new Set(routes)].sort()).toEqual(documented.sort());
  });

  it('generates request schemas and parameters from the zod schemas the routes validate with', () => {
    const { AppendEvent, AppendBatch, Event } = document.components.schemas;
    expect(AppendEvent.required.sort()).toEqual(['aggregate_id', 'event_type']);
    expect(AppendEvent.additionalProperties).toBe(false);
    expect(AppendEvent.properties.payload).toMatchObject({ type: 'object', additionalProperties: {} });
    expect(AppendBatch.properties.events.maxItems).toBe(1000);
    expect(Event.required).toContain('position');
    const limit = document.paths['/events'].get.parameters.find((p: any) => p.name === 'limit');
    expect(limit).toMatchObject({ in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } });
  });

  it.each(['open', 'secured'])('passes `redocly lint` with the recommended rules without an error (%s service)', async (name) => {
    const { stdout } = await run(bin('redocly'), ['lint', join(dir, `${name}.json`), '--extends=recommended', '--format=json'], { cwd: dir, env: quiet }).catch((e) => e);
    const report = JSON.parse(stdout.slice(stdout.indexOf('{')));
    const errors = report.problems.filter((p: any) => p.severity === 'error').map((p: any) => `${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`);
    expect(errors).toEqual([]);
    expect(report.totals.errors).toBe(0);
  }, 60_000);

  it('compiles every component schema in Ajv 2020 (strict), and every example validates', () => {
    const { ajv, compile } = createAjv(document);
    // Compiling a $ref to each compiles it and everything it refers to; a ref that does not resolve throws.
    for (const name of Object.keys(document.components.schemas)) expect(compile({ $ref: `#/components/schemas/${name}` }), name).toBeTypeOf('function');
    // Every example beside a schema, in the operations and the shared responses.
    const examples: [string, any, unknown][] = [];
    const collect = (node: any, where: string) => {
      if (node && typeof node === 'object') {
        if (node.schema && 'example' in node) examples.push([where, node.schema, node.example]);
        for (const [key, value] of Object.entries(node)) collect(value, `${where}/${key}`);
      }
    };
    collect(document.paths, '#/paths');
    collect(document.components.responses, '#/components/responses');
    expect(examples.length).toBeGreaterThan(25);
    for (const [where, schema, example] of examples) {
      const validate = compile(schema);
      expect(validate(example), `${where}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    }
  });

  it('gives openapi-typescript types that accept an append with any payload and refuse a payload that is not an object', async () => {
    await run(bin('openapi-typescript'), [join(dir, 'open.json'), '-o', join(dir, 'api.ts')], { env: quiet });
    await writeFile(
      join(dir, 'client.ts'),
      `import type { components, paths } from './api.ts';
type Append = paths['/events']['post']['requestBody']['content']['application/json'];
export const append: Append = { event_type: 'agent.created', aggregate_id: '550e8400-e29b-41d4-a716-446655440000', payload: { name: 'x' } };
export const withMetadata: components['schemas']['AppendEvent'] = { event_type: 'a.b', aggregate_id: 'x', metadata: { trace: { spans: [1, 'two'] } } };
// @ts-expect-error payload is a JSON object
export const notAnObject: Append = { event_type: 'a.b', aggregate_id: 'x', payload: 'text' };
type Stored = paths['/events/{id}']['get']['responses'][200]['content']['application/json'];
export const name = (e: Stored): unknown => e.payload.name;
`,
    );
    const tsc = join(process.cwd(), 'node_modules', 'typescript', 'bin', 'tsc');
    const args = ['--strict', '--noEmit', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--allowImportingTsExtensions', '--skipLibCheck', '--types', 'node', join(dir, 'client.ts')];
    const result = await run(process.execPath, [tsc, ...args], { cwd: process.cwd() }).then(() => '', (e) => `${e.stdout}${e.stderr}`);
    expect(result).toBe('');
  }, 60_000);
});
