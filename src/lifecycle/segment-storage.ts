import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createFileStorage } from './file-storage.ts';
import type { ObjectStorage } from './object-storage.ts';
import { createS3Storage, type S3StorageOptions } from './s3-storage.ts';
import type { SegmentSource } from './segment-reader.ts';

export type { ObjectInfo, ObjectStorage, StorageErrorKind } from './object-storage.ts';
export { StorageError } from './object-storage.ts';

export type SegmentStorageOptions = Omit<S3StorageOptions, 'bucket' | 'prefix'>;

/** ARCHIVE_URL as a URL: a directory (relative to the working directory) becomes its file:/// URL; a URL is kept. */
export const archiveUrl = (value: string): string => (/^[a-z][a-z0-9+.-]*:/i.test(value) ? value : pathToFileURL(resolve(value)).href);

/** The archive's storage from ARCHIVE_URL: a directory, `file:///absolute/dir` or `s3://bucket/prefix`; throws for any other form. */
export function createSegmentStorage(location: string, options: SegmentStorageOptions = {}): ObjectStorage {
  const url = archiveUrl(location);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`archive URL ${JSON.stringify(url)} is not a URL: use file:///absolute/dir or s3://bucket/prefix`);
  }
  if (parsed.protocol === 'file:') {
    const dir = fileURLToPath(parsed);
    if (!isAbsolute(dir) || parsed.search || parsed.hash) throw new Error(`archive URL ${url} must name an absolute directory`);
    return createFileStorage(dir.replace(/\/+$/, '') || '/');
  }
  if (parsed.protocol === 's3:') {
    if (!parsed.hostname || parsed.username || parsed.password || parsed.port || parsed.search || parsed.hash) {
      throw new Error('archive URL must be s3://bucket/prefix, with credentials in the AWS variables, not in the URL');
    }
    const prefix = decodeURIComponent(parsed.pathname).replace(/^\/+|\/+$/g, '');
    return createS3Storage({ ...options, bucket: parsed.hostname, prefix });
  }
  throw new Error(`archive URL scheme ${parsed.protocol} is not supported: use file:///absolute/dir or s3://bucket/prefix`);
}

export async function segmentSource(storage: ObjectStorage, key: string): Promise<SegmentSource | null> {
  const info = await storage.head(key);
  if (!info) return null;
  return { byteLength: info.size, read: (start, end) => storage.getRange(key, start, end) };
}
