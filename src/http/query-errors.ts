import type { z } from 'zod';
import { AppError, type FieldError } from '../errors.ts';

/** One value per name; a repeated parameter is refused (never silently the first or the last). */
export function singleValues(query: Record<string, string[]>): { values: Record<string, string>; errors: FieldError[] } {
  // No prototype: a parameter named __proto__ is a key like any other (and refused as unknown).
  const values: Record<string, string> = Object.create(null);
  const errors: FieldError[] = [];
  for (const [name, list] of Object.entries(query)) {
    if (list.length !== 1) errors.push({ pointer: `/${name}`, detail: 'given more than once' });
    else values[name] = list[0]!;
  }
  return { values, errors };
}

/** zod's issues with a query as field errors: one per parameter, unknown ones named. */
export function queryIssues(issues: readonly z.core.$ZodIssue[], known: readonly string[]): FieldError[] {
  return issues.flatMap((i) =>
    i.code === 'unrecognized_keys'
      ? i.keys.map((k) => ({ pointer: `/${k}`, detail: `unknown parameter; known: ${known.join(', ')}` }))
      : [{ pointer: `/${i.path.map(String).join('/')}`, detail: i.message }],
  );
}

export function parseQuery<T extends z.ZodType>(schema: T, query: Record<string, string[]>, known: readonly string[]): z.output<T> {
  const { values, errors } = singleValues(query);
  const parsed = schema.safeParse(values);
  if (!parsed.success) errors.push(...queryIssues(parsed.error.issues, known).filter((e) => !errors.some((x) => x.pointer === e.pointer)));
  if (errors.length > 0 || !parsed.success) throw new AppError('malformed_request', 'invalid query parameters', { errors });
  return parsed.data;
}
