// The closed set of errors; only http/ maps codes to statuses (http/problem.ts).
export const errorCodes = [
  'malformed_json',
  'malformed_request',
  'validation_failed',
  'not_found',
  'gone',
  'method_not_allowed',
  'sequence_conflict',
  'id_conflict',
  'archive_run_in_progress',
  'payload_too_large',
  'unsupported_media_type',
  'storage_unavailable',
  'redis_unavailable',
  'unauthorized',
  'forbidden',
  'rate_limited',
  'timeout',
  'internal',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export interface FieldError {
  pointer: string;
  detail: string;
}

/** Most field errors one answer lists (a body of 100,000 unknown keys is not answered with 100,000). */
export const MAX_FIELD_ERRORS = 20;

/** A problem's detail, saying how many problems there were when its answer lists only the first MAX_FIELD_ERRORS. */
export const countedDetail = (detail: string, found: number) => (found > MAX_FIELD_ERRORS ? `${detail} (the first ${MAX_FIELD_ERRORS} of ${found} problems)` : detail);

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly detail: string;
  readonly extensions: Record<string, unknown>;
  /** Response headers the problem needs (WWW-Authenticate, Retry-After). */
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, detail: string, extensions: Record<string, unknown> = {}, options?: { cause?: unknown; headers?: Record<string, string> }) {
    // A client's mistake is answered, never logged with a stack, which costs CPU on every refusal
    // (bench/README.md, "Tried and not adopted"). An internal error keeps its stack for the log.
    const limit = Error.stackTraceLimit;
    if (code !== 'internal') Error.stackTraceLimit = 0;
    super(detail, options);
    Error.stackTraceLimit = limit;
    this.code = code;
    this.detail = detail;
    this.extensions = extensions;
    this.headers = options?.headers ?? {};
  }
}
AppError.prototype.name = 'AppError';

/** The error with its `index` extension (a batch item's place) set, or removed when undefined. */
export function withIndex(error: AppError, index: number | undefined): AppError {
  const { index: _, ...extensions } = error.extensions;
  return new AppError(error.code, error.detail, index === undefined ? extensions : { ...extensions, index }, { cause: error.cause, headers: error.headers });
}

export function validationFailed(errors: FieldError[], detail = 'the request breaks a rule', extensions: Record<string, unknown> = {}) {
  return new AppError('validation_failed', detail, { errors, ...extensions });
}

export function toPointer(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p) => '/' + String(p).replaceAll('~', '~0').replaceAll('/', '~1')).join('');
}
