import { z } from 'zod';
import { AppError } from '../errors.ts';
import { fieldErrorsOf } from './field-errors.ts';

// Each parameter's text is given to its documented schema (canonical digits for a number), so the
// schema the OpenAPI document shows is the one that decides.
const INTEGER = /^(0|[1-9]\d{0,15})$/;
const once = { error: (issue: { input?: unknown }) => (Array.isArray(issue.input) ? 'given more than once' : undefined) };

function fromText(field: z.ZodType): z.ZodType {
  if (field instanceof z.ZodDefault) return fromText(field.unwrap() as z.ZodType).default(field.def.defaultValue as never);
  if (field instanceof z.ZodOptional) return fromText(field.unwrap() as z.ZodType).optional();
  const text = z.string(once);
  return field instanceof z.ZodNumber ? text.transform((v) => (INTEGER.test(v) ? Number(v) : Number.NaN)).pipe(field) : text.pipe(field as z.ZodType<unknown, string>);
}

export function queryStringSchema(parameters: z.ZodObject) {
  const names = Object.keys(parameters.shape);
  const shape = Object.fromEntries(names.map((name) => [name, fromText(parameters.shape[name] as z.ZodType)]));
  return z.strictObject(shape, { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown parameter; known: ${names.join(', ')}` : undefined) });
}

function queryRecord(query: Record<string, string[]>): Record<string, string | string[]> {
  // No prototype: a parameter named __proto__ is a key like any other (and refused as unknown).
  const record: Record<string, string | string[]> = Object.create(null);
  for (const name of Object.keys(query)) {
    const values = query[name]!;
    record[name] = values.length === 1 ? values[0]! : values;
  }
  return record;
}

export type QueryReader<T = Record<string, unknown>> = (query: Record<string, string[]>) => T;

/** Reads the documented `parameters` from `c.req.queries()`, or throws a 400 naming each bad one. */
export function createQueryReader<S extends z.ZodObject>(
  parameters: S,
  across?: (schema: z.ZodType<Record<string, unknown>>) => z.ZodType<Record<string, unknown>>,
): QueryReader<z.output<S>> {
  const schema = across ? across(queryStringSchema(parameters)) : queryStringSchema(parameters);
  return (query) => {
    const parsed = schema.safeParse(queryRecord(query));
    if (!parsed.success) throw new AppError('malformed_request', 'invalid query parameters', { errors: fieldErrorsOf(parsed.error) });
    return parsed.data as z.output<S>;
  };
}
