export interface ObjectInfo {
  key: string;
  size: number;
}

/** Immutable objects under one root (a directory or an S3 prefix); relative `/`-separated keys; failures are StorageErrors. */
export interface ObjectStorage {
  /** Where the objects are, for logs and error messages; never holds credentials. */
  readonly description: string;
  /** Stores an object atomically (whole or none); putting a key again replaces it just as atomically. */
  put(key: string, bytes: Uint8Array): Promise<void>;
  get(key: string): Promise<Uint8Array>;
  /** Bytes [start, end) of an object; fewer if the object ends sooner. */
  getRange(key: string, start: number, end: number): Promise<Uint8Array>;
  /** null: no such object; a missing bucket or directory is a not_found StorageError, the storage's fault, not the object's. */
  head(key: string): Promise<ObjectInfo | null>;
  /** Sorted by key. */
  list(prefix?: string): Promise<ObjectInfo[]>;
  /** Removes an object; removing one that is not there succeeds. */
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * unavailable: worth retrying later; not_found: no object or bucket; full: no space; refused: permission or read-only;
 * damaged: a segment's bytes are not those the manifest's SHA-256 was taken of.
 */
export type StorageErrorKind = 'unavailable' | 'not_found' | 'full' | 'refused' | 'damaged';

export class StorageError extends Error {
  override readonly name = 'StorageError';
  constructor(
    readonly kind: StorageErrorKind,
    message: string,
    options?: { cause?: unknown; key?: string },
  ) {
    super(message, options);
    this.key = options?.key;
  }

  /** The segment a read failed on, where there is one. */
  readonly key: string | undefined;
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
