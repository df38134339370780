/** An object's key (relative to the storage's root) and size in bytes. */
export interface ObjectInfo {
  key: string;
  size: number;
}

/**
 * Immutable objects (archive segments and manifests) under one root: a directory or an S3
 * prefix. Keys are relative, `/`-separated, each part starting with a letter or digit.
 * Every failure is a StorageError.
 */
export interface ObjectStorage {
  /** Where the objects are, for logs and error messages; never holds credentials. */
  readonly description: string;
  /**
   * Stores an object atomically: a reader sees the whole object or none. A key is written
   * once; putting it again (a retry after a crash) replaces it just as atomically.
   */
  put(key: string, bytes: Uint8Array): Promise<void>;
  get(key: string): Promise<Uint8Array>;
  /** Bytes [start, end) of an object; fewer if the object ends sooner. */
  getRange(key: string, start: number, end: number): Promise<Uint8Array>;
  /** null when there is no such object. */
  head(key: string): Promise<ObjectInfo | null>;
  /** Objects whose key starts with `prefix`, sorted by key. */
  list(prefix?: string): Promise<ObjectInfo[]>;
  /** Removes an object; removing one that is not there succeeds. */
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * unavailable: cannot be reached now (network, timeout, server error), worth retrying later.
 * not_found: no such object or bucket. full: no space left. refused: no permission, bad
 * credentials or a read-only target.
 */
export type StorageErrorKind = 'unavailable' | 'not_found' | 'full' | 'refused';

export class StorageError extends Error {
  override readonly name = 'StorageError';
  constructor(
    readonly kind: StorageErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const KEY = /^[A-Za-z0-9][A-Za-z0-9._=-]*(\/[A-Za-z0-9][A-Za-z0-9._=-]*)*$/;
const PREFIX = /^([A-Za-z0-9][A-Za-z0-9._=-]*\/)*[A-Za-z0-9._=-]*$/;

/** Throws unless `key` is a valid object key: no absolute paths, no `..`, no hidden names. */
export function checkKey(key: string): string {
  if (!KEY.test(key)) throw new Error(`invalid object key ${JSON.stringify(key)}: use parts like "segments/000001.parquet"`);
  return key;
}

export function checkPrefix(prefix: string): string {
  if (!PREFIX.test(prefix)) throw new Error(`invalid key prefix ${JSON.stringify(prefix)}`);
  return prefix;
}
