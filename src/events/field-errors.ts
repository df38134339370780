import type { z } from 'zod';
import { type FieldError, toPointer } from '../errors.ts';

/** zod issues as field errors; each unknown key gets its own, so `errors[].pointer` names every one. */
export function fieldErrorsOf(error: z.ZodError): FieldError[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ pointer: toPointer([...issue.path, key]), detail: issue.message }))
      : [{ pointer: toPointer(issue.path), detail: issue.message }],
  );
}
