import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { checkKey, checkPrefix, type ObjectInfo, type ObjectStorage, StorageError } from './object-storage.ts';
import { s3Error } from './s3-errors.ts';

type Sdk = typeof import('@aws-sdk/client-s3');
// The SDK takes about a fifth of a second to load: a process that never touches S3 never loads it.
let sdk: Promise<Sdk> | undefined;
const loadSdk = () => (sdk ??= import('@aws-sdk/client-s3'));

export interface S3StorageOptions {
  bucket: string;
  /** Key prefix without leading or trailing slash; '' for the bucket's root. */
  prefix: string;
  /** An S3-compatible endpoint, addressed path-style. */
  endpoint?: string;
  region?: string;
  credentials?: S3ClientConfig['credentials'];
  connectTimeoutMs?: number;
  /** Longest silence on an open connection before the request fails. */
  idleTimeoutMs?: number;
  maxAttempts?: number;
}

/** Objects under an S3 prefix (PutObject is atomic); timeouts and attempts are bounded so an unreachable endpoint fails in seconds. */
export function createS3Storage(options: S3StorageOptions): ObjectStorage {
  const { bucket, prefix, endpoint } = options;
  const at = endpoint ? ` at ${withoutUserInfo(endpoint)}` : '';
  const description = `s3://${bucket}${prefix ? `/${prefix}` : ''}${at}`;
  let connecting: Promise<{ s3: Sdk; client: S3Client }> | undefined;
  const connect = () => (connecting ??= loadSdk().then((s3) => ({ s3, client: newClient(s3, options) })));
  const objectKey = (key: string) => (prefix ? `${prefix}/${checkKey(key)}` : checkKey(key));
  const run = async <T>(action: string, key: string, op: (objectKey: string, sdk: { s3: Sdk; client: S3Client }) => Promise<T>): Promise<T> => {
    const Key = objectKey(key);
    try {
      return await op(Key, await connect());
    } catch (error) {
      throw s3Error(action, `s3://${bucket}/${Key}${at}`, error);
    }
  };

  return {
    description,
    put: (key, bytes) => run('cannot write', key, async (Key, { s3, client }) => {
      await client.send(new s3.PutObjectCommand({ Bucket: bucket, Key, Body: bytes, ContentLength: bytes.byteLength }));
    }),
    get: (key) => run('cannot read', key, async (Key, { s3, client }) => {
      const out = await client.send(new s3.GetObjectCommand({ Bucket: bucket, Key }));
      return out.Body!.transformToByteArray();
    }),
    getRange: (key, start, end) => run('cannot read', key, async (Key, { s3, client }) => {
      if (end <= start) return new Uint8Array(0);
      const out = await client.send(new s3.GetObjectCommand({ Bucket: bucket, Key, Range: `bytes=${start}-${end - 1}` })).catch((error) => {
        // A range that starts at or past the end: no bytes, as a file read gives.
        if (error?.$metadata?.httpStatusCode === 416) return null;
        throw error;
      });
      if (!out) return new Uint8Array(0);
      const bytes = await out.Body!.transformToByteArray();
      // A server that ignores Range answers with the whole object.
      return out.ContentRange ? bytes : bytes.subarray(start, end);
    }),
    // A HEAD response has no body, so a missing bucket looks like a missing object: the bucket is asked about then.
    head: (key) => run('cannot stat', key, async (Key, { s3, client }) => {
      try {
        const out = await client.send(new s3.HeadObjectCommand({ Bucket: bucket, Key }));
        return { key, size: out.ContentLength ?? 0 };
      } catch (error) {
        if ((error as { name?: string }).name !== 'NotFound') throw error;
      }
      try {
        await client.send(new s3.HeadBucketCommand({ Bucket: bucket }));
      } catch (error) {
        if ((error as { name?: string }).name === 'NotFound') throw new StorageError('not_found', `cannot stat ${description}: the bucket does not exist`);
        throw error;
      }
      return null;
    }),
    async list(listPrefix = '') {
      const Prefix = prefix ? `${prefix}/${checkPrefix(listPrefix)}` : checkPrefix(listPrefix);
      const found: ObjectInfo[] = [];
      let token: string | undefined;
      try {
        const { s3, client } = await connect();
        do {
          const out = await client.send(new s3.ListObjectsV2Command({ Bucket: bucket, Prefix, ContinuationToken: token }));
          for (const o of out.Contents ?? []) found.push({ key: o.Key!.slice(Prefix.length - listPrefix.length), size: o.Size ?? 0 });
          token = out.IsTruncated ? out.NextContinuationToken : undefined;
        } while (token);
      } catch (error) {
        throw s3Error('cannot list', `s3://${bucket}/${Prefix}${at}`, error);
      }
      // S3 lists in UTF-8 byte order, the same as JavaScript string order for the ASCII characters keys may hold.
      return found;
    },
    delete: (key) => run('cannot delete', key, async (Key, { s3, client }) => {
      await client.send(new s3.DeleteObjectCommand({ Bucket: bucket, Key }));
    }),
    async close() {
      if (connecting) (await connecting.catch(() => undefined))?.client.destroy();
    },
  };
}

function newClient(s3: Sdk, options: S3StorageOptions): S3Client {
  const { endpoint } = options;
  return new s3.S3Client({
    endpoint,
    forcePathStyle: endpoint !== undefined,
    region: options.region ?? regionFromChain(s3, endpoint !== undefined),
    credentials: options.credentials,
    maxAttempts: options.maxAttempts ?? 3,
    requestHandler: { connectionTimeout: options.connectTimeoutMs ?? 3_000, socketTimeout: options.idleTimeoutMs ?? 15_000 },
    // Many S3-compatible servers reject the SDK's default CRC32 headers; segments are verified by reading back.
    ...(endpoint ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
  });
}

function regionFromChain(s3: Sdk, hasEndpoint: boolean): S3ClientConfig['region'] {
  const probe = new s3.S3Client({});
  const fromChain = probe.config.region;
  probe.destroy();
  return async () => {
    try {
      return await fromChain();
    } catch (error) {
      if (hasEndpoint) return 'us-east-1';
      throw error;
    }
  };
}

function withoutUserInfo(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.href.replace(/\/$/, '');
  } catch {
    return '(an invalid endpoint URL)';
  }
}
