import { StorageError, type StorageErrorKind } from './object-storage.ts';

const BY_NAME: Record<string, [StorageErrorKind, string]> = {
  NoSuchKey: ['not_found', 'no such object'],
  NotFound: ['not_found', 'no such object'],
  NoSuchBucket: ['not_found', 'the bucket does not exist'],
  AccessDenied: ['refused', 'access denied'],
  InvalidAccessKeyId: ['refused', 'the access key is not known'],
  SignatureDoesNotMatch: ['refused', 'the secret key does not match'],
  ExpiredToken: ['refused', 'the credentials have expired'],
  CredentialsProviderError: ['refused', 'no AWS credentials were found'],
  EntityTooLarge: ['full', 'the object is too large'],
  QuotaExceeded: ['full', 'the quota is exceeded'],
  XMinioStorageFull: ['full', 'no space left'],
  TimeoutError: ['unavailable', 'timed out'],
  RequestTimeout: ['unavailable', 'timed out'],
};

const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

/** One StorageError for whatever the SDK threw; `location` never holds a credential. */
export function s3Error(action: string, location: string, error: unknown): StorageError {
  if (error instanceof StorageError) return error;
  const e = error as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const code = e.code ?? (e as { cause?: { code?: string } }).cause?.code;
  let [kind, reason]: [StorageErrorKind, string] = BY_NAME[e.name ?? ''] ?? ['unavailable', e.name ?? 'failed'];
  if (!BY_NAME[e.name ?? '']) {
    if (code && NETWORK.has(code)) reason = `cannot connect (${code})`;
    else if (status === 401 || status === 403) [kind, reason] = ['refused', `refused (HTTP ${status} ${e.name})`];
    else if (status === 507) [kind, reason] = ['full', 'no space left (HTTP 507)'];
    else if (status === 404) [kind, reason] = ['not_found', `not found (${e.name})`];
    else if (status && status < 500) [kind, reason] = ['refused', `refused (HTTP ${status} ${e.name})`];
    else if (status) reason = `server error (HTTP ${status} ${e.name})`;
    else if (/region is missing/i.test(e.message ?? '')) [kind, reason] = ['refused', 'no region is configured (AWS_REGION)'];
  }
  return new StorageError(kind, `${action} ${location}: ${reason}`, { cause: error });
}
