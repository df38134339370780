import type { z } from 'zod';
import type { JsonSchema } from './components.ts';

export type Method = 'get' | 'post' | 'put' | 'delete';

export type SchemaRef = string | JsonSchema;

export interface Answer {
  description: string;
  /** Media type -> schema and an example. */
  content?: Record<string, { schema: SchemaRef; example?: unknown }>;
  headers?: Record<string, { description: string; schema: JsonSchema }>;
}

/** One route as documented; its zod schemas are those the route validates with. */
export interface OperationSpec {
  method: Method;
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  pathParameters?: z.ZodObject;
  query?: z.ZodObject;
  headers?: Record<string, z.ZodType>;
  body?: { schema: string; example: unknown };
  answers: Record<number, Answer>;
  /** Problems particular to this operation (404, 409, 410...). */
  problems?: number[];
}

export const json = (description: string, schema: SchemaRef, example?: unknown, headers?: Answer['headers']): Answer => ({
  description,
  content: { 'application/json': { schema, ...(example === undefined ? {} : { example }) } },
  ...(headers ? { headers } : {}),
});

export const locationHeader = (what: string) => ({ location: { description: `the URL of the ${what}`, schema: { type: 'string' } } });
