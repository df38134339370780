import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

// Checks real answers against an OpenAPI 3.1 document: the operation (or, for a path or method
// the document lacks, the shared 404 / 405 answer), the status, the documented headers, the
// media type, and the body against the documented schema with Ajv (JSON Schema 2020-12).

type Json = Record<string, any>;
const ROOT = 'https://event-service.local/openapi.json';

/** The document's component schemas with their refs pointed at one Ajv schema, `${ROOT}#/$defs/Name`. */
function retarget<T>(value: T): T {
  return JSON.parse(JSON.stringify(value).replaceAll('"#/components/schemas/', `"${ROOT}#/$defs/`));
}

/** Ajv 2020, strict, holding the document's component schemas; compile() takes a schema of the document. */
export function createAjv(document: Json) {
  // Strict, but a union of primitive types (type: [string, number]) is plain JSON Schema.
  const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
  ajv.addSchema({ $id: ROOT, $defs: retarget(document.components.schemas) });
  return { ajv, compile: (schema: Json): ValidateFunction => ajv.compile(retarget(schema)) };
}

export interface Answer {
  method: string;
  path: string;
  status: number;
  headers: Headers;
  text: string;
}

export function createContract(document: Json) {
  const { ajv, compile } = createAjv(document);
  const validators = new Map<string, ValidateFunction>();
  const templates = Object.keys(document.paths).map((template) => ({
    template,
    params: (template.match(/\{/g) ?? []).length,
    pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
  }));
  const covered = new Set<string>();

  const resolve = (response: Json): Json =>
    response.$ref ? document.components.responses[String(response.$ref).split('/').pop()!] : response;

  function validatorFor(schema: Json) {
    const key = JSON.stringify(schema);
    let validate = validators.get(key);
    if (!validate) validators.set(key, (validate = compile(schema)));
    return validate;
  }

  /** The problems with this answer against the document; records what it covered. */
  function check(answer: Answer): string[] {
    const path = answer.path.split('?')[0]!.replace(/(.)\/$/, '$1');
    const method = answer.method.toLowerCase();
    const matches = templates.filter((t) => t.pattern.test(path)).sort((a, b) => a.params - b.params);
    const operation = matches.map((t) => ({ t, op: document.paths[t.template][method] })).find((m) => m.op);
    let response: Json | undefined;
    let where: string;
    if (operation) {
      where = `${operation.op.operationId} ${answer.status}`;
      response = operation.op.responses[answer.status];
    } else if (matches.length > 0) {
      where = `${answer.method} ${path} (no such method) ${answer.status}`;
      const documented = matches.every((t) => Object.values<Json>(document.paths[t.template]).every((op) => op.responses['405']));
      response = answer.status === 405 && documented ? document.components.responses.MethodNotAllowed : undefined;
    } else {
      where = `${answer.method} ${path} (no such path) ${answer.status}`;
      response = answer.status === 404 ? document.components.responses.NotFound : undefined;
    }
    if (!response) return [`${where}: status not documented`];
    covered.add(where);
    response = resolve(response);
    const problems: string[] = [];
    for (const name of Object.keys(response.headers ?? {})) if (!answer.headers.has(name)) problems.push(`${where}: no ${name} header`);
    const mediaType = (answer.headers.get('content-type') ?? '').split(';')[0]!.trim();
    // An answer without a body (204) documents no content.
    if (mediaType === '' && answer.text === '' && response.content === undefined) return problems;
    const content = response.content?.[mediaType];
    if (!content) return [...problems, `${where}: content type ${mediaType} not documented (${Object.keys(response.content ?? {}).join(', ')})`];
    if (/json$/.test(mediaType)) {
      const validate = validatorFor(content.schema);
      if (!validate(JSON.parse(answer.text))) problems.push(`${where}: ${ajv.errorsText(validate.errors)} in ${answer.text.slice(0, 300)}`);
    }
    return problems;
  }

  return { check, covered };
}
