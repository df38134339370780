import type { z } from 'zod';
import { requiredScope } from '../auth.ts';
import { aggregatesOperations } from './aggregates.paths.ts';
import { consoleOperations } from './console.paths.ts';
import { consumerGroupsOperations } from './consumer-groups.paths.ts';
import { lifecycleOperations } from './lifecycle.paths.ts';
import { componentSchemas, jsonSchemaOf, type JsonSchema } from './components.ts';
import { eventsOperations } from './events.paths.ts';
import type { Answer, OperationSpec, SchemaRef } from './operation.ts';
import { problemRef, problemResponses } from './problems.ts';
import { replaysOperations } from './replays.paths.ts';
import { serviceOperations } from './service.paths.ts';

export interface OpenApiOptions {
  maxBatchEvents: number;
  maxQueryLimit: number;
  authEnabled: boolean;
}

export type OpenApiDocument = ReturnType<typeof createOpenApi>;

const schemaOf = (schema: SchemaRef) => (typeof schema === 'string' ? { $ref: `#/components/schemas/${schema}` } : schema);

function parametersOf(schema: z.ZodObject | undefined, where: 'path' | 'query') {
  if (!schema) return [];
  const json = jsonSchemaOf(schema) as { properties: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties).map(([name, { description, ...property }]) => ({
    name, in: where, required: where === 'path' || (json.required ?? []).includes(name), ...(description ? { description } : {}), schema: property,
  }));
}

function headersOf(headers: Record<string, z.ZodType> = {}) {
  return Object.entries(headers).map(([name, schema]) => {
    const { description, ...property } = jsonSchemaOf(schema);
    return { name, in: 'header', required: false, ...(description ? { description } : {}), schema: property };
  });
}

const answerOf = ({ description, content, headers }: Answer) => ({
  description,
  ...(headers ? { headers } : {}),
  ...(content ? { content: Object.fromEntries(Object.entries(content).map(([type, c]) => [type, { ...c, schema: schemaOf(c.schema) }])) } : {}),
});

/** An operation's problems: its own plus its kind's (405 and 503 for all; 400 for input, 413/415/417/422 with a body; 401/403/429 when secured). */
function problemsOf(op: OperationSpec, secured: boolean): number[] {
  const statuses = new Set([...(op.problems ?? []), 405, 503]);
  if (op.query || op.headers) statuses.add(400);
  if (op.body) for (const s of [400, 413, 415, 417, 422]) statuses.add(s);
  if (secured) for (const s of [401, 403, 429]) statuses.add(s);
  return [...statuses].sort((a, b) => a - b);
}

function responsesOf(op: OperationSpec, secured: boolean) {
  const responses: Record<string, object> = {};
  for (const [status, answer] of Object.entries(op.answers)) responses[status] = answerOf(answer);
  for (const status of problemsOf(op, secured)) {
    const own = responses[status] as ReturnType<typeof answerOf> | undefined;
    // GET /health's 503 is its Health body, or a timeout's problem: one answer, both media types.
    responses[status] = own ? { ...own, content: { ...own.content, 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } } : problemRef(status);
  }
  return responses;
}

function operationOf(op: OperationSpec, authEnabled: boolean) {
  const scope = requiredScope(op.method.toUpperCase(), op.path);
  const parameters = [...parametersOf(op.pathParameters, 'path'), ...parametersOf(op.query, 'query'), ...headersOf(op.headers)];
  return {
    operationId: op.operationId,
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    tags: [op.tag],
    // Without API_KEYS the service is open: a key is then optional ({}).
    security: scope === null ? [] : [{ bearerAuth: [scope] }, ...(authEnabled ? [] : [{}])],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(op.body.schema), example: op.body.example } } } } : {}),
    responses: responsesOf(op, scope !== null),
  };
}

/** The OpenAPI 3.1 document: inputs from the routes' zod schemas, answers from wire-schemas.ts, security from auth.ts. */
export function createOpenApi(options: OpenApiOptions) {
  const operations = [...eventsOperations(options), ...aggregatesOperations(), ...replaysOperations(), ...consumerGroupsOperations(), ...lifecycleOperations(), ...consoleOperations(), ...serviceOperations()];
  const paths: Record<string, Record<string, ReturnType<typeof operationOf>>> = {};
  for (const op of operations) (paths[op.path] ??= {})[op.method] = operationOf(op, options.authEnabled);
  return {
    openapi: '3.1.0',
    info: {
      title: 'event-service',
      version: '0.1.0',
      description: 'Append immutable events to PostgreSQL; every event is republished on Redis events:<aggregate_type>. Errors are application/problem+json (RFC 9457). See the README for guarantees.',
    },
    servers: [{ url: '/', description: 'this service' }],
    tags: [
      { name: 'events', description: 'Append, read, query and stream events' },
      { name: 'aggregates', description: 'Aggregate state, snapshots, event type schemas' },
      { name: 'replays', description: 'Republish stored events to Redis' },
      { name: 'console', description: 'Statistics, key scopes and saved queries, for the admin console and dashboards' },
      { name: 'lifecycle', description: 'Retention policies, archive runs and the archive manifest' },
      { name: 'consumer-groups', description: 'Consumer groups of the Redis Streams mirror, and their parked events' },
      { name: 'service', description: 'Health, readiness, metrics, this description' },
    ],
    paths,
    components: {
      schemas: componentSchemas(options.maxBatchEvents),
      responses: problemResponses(),
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'A secret of API_KEYS; its scopes (read, write, admin) decide which operations it may call' } },
    },
  };
}
