import postgres from 'postgres';
import { AppError } from '../errors.ts';

const UNREACHABLE = new Set([
  'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT',
  'ECONNREFUSED', 'ECONNRESET', 'ENOENT', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND',
  'DATABASE_UNREACHABLE',
]);

/** A server found not to answer (circuit.ts): what was waiting on it fails with this at once. */
export class UnreachableError extends Error {
  override name = 'UnreachableError';
  readonly code = 'DATABASE_UNREACHABLE';
}

// SQLSTATEs that mean retry later: nothing is wrong with the request.
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300', '57014', '55P03', '40001', '40P01']);

// SQLSTATEs raised by data PostgreSQL will not store (json-guard refuses these first).
const REFUSED_DATA_STATES: Record<string, string> = {
  '22P05': 'contains a character PostgreSQL cannot store (U+0000)',
  '22P02': 'contains JSON PostgreSQL cannot store (e.g. a lone surrogate)',
  '22003': 'contains a number out of range',
  '54001': 'is nested too deeply',
  '22021': 'contains an invalid byte sequence',
  '54000': 'holds a value too large for PostgreSQL to index',
};

/** The PostgresError behind an error, also when drizzle wrapped it (drizzle >= 0.44: cause). */
export function postgresErrorOf(error: unknown): postgres.PostgresError | undefined {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof postgres.PostgresError) return e;
  }
  return undefined;
}

function codeOf(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

export function isMissingPartition(error: unknown): boolean {
  const pg = postgresErrorOf(error);
  return pg?.code === '23514' && pg.message.startsWith('no partition of relation');
}

// SQLSTATEs of a connection refused for its settings (login, database), not for the server's state.
const MISCONFIGURED_STATES = new Set(['28P01', '28000', '3D000']);

export function isMisconfigured(error: unknown): boolean {
  const code = postgresErrorOf(error)?.code;
  return code !== undefined && MISCONFIGURED_STATES.has(code);
}

export function isUnavailable(error: unknown): boolean {
  const pg = postgresErrorOf(error);
  if (pg) return pg.code.startsWith('08') || UNAVAILABLE_STATES.has(pg.code);
  const code = codeOf(error);
  return code !== undefined && UNREACHABLE.has(code);
}

/** What PostgreSQL raised for a request, as the client's error; anything unrecognised is returned unchanged (500). */
export function mapStoreError(error: unknown): unknown {
  if (error instanceof AppError) return error;
  if (isUnavailable(error)) {
    return new AppError('storage_unavailable', 'PostgreSQL is unavailable; retry later (resending with the same id is safe)', {}, { cause: error });
  }
  const pg = postgresErrorOf(error);
  if (!pg) return error;
  const refused = REFUSED_DATA_STATES[pg.code];
  if (refused) {
    return new AppError('validation_failed', `the event ${refused}`, { errors: [{ pointer: '', detail: pg.message }] }, { cause: error });
  }
  if (pg.code === '23505' && pg.constraint_name === 'aggregates_pkey') {
    return new AppError('sequence_conflict', 'another append took this sequence; read the aggregate and retry', {}, { cause: error });
  }
  if (pg.code === '23505' && pg.constraint_name === 'event_ids_pkey') {
    return new AppError('id_conflict', 'an event with this id is already stored', {}, { cause: error });
  }
  return error;
}
