import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/postgres/free-port.ts';
import { encodeSegment } from '../../src/lifecycle/segment-format.ts';
import { readCircuit } from '../../src/lifecycle/read-circuit.ts';
import { openSegment } from '../../src/lifecycle/segment-reader.ts';
import { createdAtFromMicros } from '../../src/lifecycle/segment-row.ts';
import { createSegmentStorage, type ObjectStorage, segmentSource, StorageError, type StorageErrorKind } from '../../src/lifecycle/segment-storage.ts';
import { startS3Server, type S3Server } from '../support/s3-server.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';

const bytes = (n: number, seed = 0) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) % 256);

async function storageError(op: Promise<unknown>): Promise<StorageError> {
  const error = await op.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(StorageError);
  return error as StorageError;
}

let s3: S3Server;
const dir = mkdtempSync(join(tmpdir(), 'segment-storage-'));
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const backends: [string, () => ObjectStorage][] = [
  ['file', () => createSegmentStorage(pathToFileURL(join(dir, 'archive')).href)],
  ['s3', () => createSegmentStorage(`s3://${s3.bucket}/events/archive`, { endpoint: s3.endpoint, credentials: s3.credentials })],
];

describe.each(backends)('%s storage', (_, create) => {
  let storage: ObjectStorage;
  beforeAll(() => {
    storage = create();
  });
  afterAll(() => storage.close());

  it('gives back what was put, whole, by range and by head', async () => {
    await storage.put('segments/a.parquet', bytes(5000));
    expect(await storage.get('segments/a.parquet')).toEqual(bytes(5000));
    expect(await storage.getRange('segments/a.parquet', 100, 164)).toEqual(bytes(5000).subarray(100, 164));
    expect(await storage.getRange('segments/a.parquet', 4990, 6000)).toEqual(bytes(5000).subarray(4990));
    expect(await storage.getRange('segments/a.parquet', 5000, 5100)).toEqual(new Uint8Array(0));
    expect(await storage.head('segments/a.parquet')).toEqual({ key: 'segments/a.parquet', size: 5000 });
  });

  it('lists the objects under a prefix in key order, and nothing under an unknown one', async () => {
    for (const key of ['list/b/2.parquet', 'list/a.parquet', 'list/b/1.parquet', 'listed.json']) await storage.put(key, bytes(10));
    expect(await storage.list('list/')).toEqual([
      { key: 'list/a.parquet', size: 10 }, { key: 'list/b/1.parquet', size: 10 }, { key: 'list/b/2.parquet', size: 10 },
    ]);
    expect((await storage.list('list')).map((o) => o.key)).toContain('listed.json');
    expect(await storage.list('list/b/2')).toEqual([{ key: 'list/b/2.parquet', size: 10 }]);
    expect(await storage.list('nothing-here/')).toEqual([]);
  });

  it('a second put of a key replaces the object', async () => {
    await storage.put('again.bin', bytes(300, 1));
    await storage.put('again.bin', bytes(200, 2));
    expect(await storage.get('again.bin')).toEqual(bytes(200, 2));
  });

  it('deletes an object, and deleting a missing one succeeds', async () => {
    await storage.put('gone.bin', bytes(10));
    await storage.delete('gone.bin');
    await storage.delete('gone.bin');
    expect(await storage.head('gone.bin')).toBeNull();
    expect((await storageError(storage.get('gone.bin'))).kind).toBe('not_found');
    expect((await storageError(storage.getRange('gone.bin', 0, 4))).kind).toBe('not_found');
  });

  it('refuses keys that could leave its root or hide an object', async () => {
    for (const key of ['../escape', '/absolute', 'a/../b', '.hidden', 'a//b', 'a/']) {
      await expect(storage.put(key, bytes(1))).rejects.toThrow(/invalid object key/);
    }
  });

  it('serves a segment to openSegment by ranged reads', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => ({
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, event_type: 'agent.created', aggregate_type: 'agent',
      aggregate_id: '550e8400-e29b-41d4-a716-446655440000', sequence: i + 1, position: i + 1, payload: `{"i": ${i}}`, metadata: '{}',
      version: 1, created_at: createdAtFromMicros(1_767_225_600_000_000n + BigInt(i)),
    }));
    await storage.put('segments/0000000001.parquet', encodeSegment(rows, { rowGroupSize: 500 }));
    const segment = await openSegment((await segmentSource(storage, 'segments/0000000001.parquet'))!);
    expect(await segment.readPositionRange(1499, 1502)).toEqual(rows.slice(1498, 1502));
    expect(await segmentSource(storage, 'segments/missing.parquet')).toBeNull();
  });
});

describe('file storage faults', () => {
  it('names the directory as a file URL, also when given as a path (as ARCHIVE_URL takes it: relative to the working directory)', () => {
    expect(createSegmentStorage(pathToFileURL(dir).href).description).toBe(pathToFileURL(dir).href);
    expect(createSegmentStorage(dir).description).toBe(pathToFileURL(dir).href);
    expect(createSegmentStorage(relative(process.cwd(), dir)).description).toBe(pathToFileURL(dir).href);
    expect(() => createSegmentStorage('ftp://host/dir')).toThrow(/scheme ftp: is not supported/);
  });

  it('a segment looked for in a missing directory is the directory\'s fault, not a missing segment', async () => {
    const missing = join(dir, 'never-made');
    const error = await storageError(createSegmentStorage(missing).head('segments/a.parquet'));
    expect([error.kind, error.key, error.message]).toEqual(['not_found', undefined, `cannot stat ${pathToFileURL(missing).href}: the directory does not exist`]);
  });

  it('a put that fails leaves neither the object nor a temporary file', async () => {
    const storage = createSegmentStorage(pathToFileURL(join(dir, 'blocked')).href);
    mkdirSync(join(dir, 'blocked', 'a.bin'), { recursive: true }); // a directory where the object would go
    expect((await storageError(storage.put('a.bin', bytes(1000)))).message).toMatch(/^cannot write file:\/\/.*\/blocked\/a\.bin: /);
    expect(readdirSync(join(dir, 'blocked'))).toEqual(['a.bin']);
    expect(await storage.list()).toEqual([]);
  });
});

// A real full or read-only file system: a small tmpfs, which only root can mount.
const mountable = (() => {
  if (process.getuid?.() !== 0) return false;
  const probe = mkdtempSync(join(tmpdir(), 'mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe]);
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
})();

describe.skipIf(!mountable)('file storage on a full or read-only disk (mounts a tmpfs: needs root)', () => {
  const mounted: string[] = [];
  const mount = (options: string) => {
    const target = mkdtempSync(join(tmpdir(), 'archive-tmpfs-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', target]);
    mounted.push(target);
    return target;
  };
  afterAll(() => {
    for (const target of mounted) {
      execFileSync('umount', [target]);
      rmSync(target, { recursive: true, force: true });
    }
  });

  it('a put that runs out of space midway fails as full and leaves nothing behind', async () => {
    const target = mount('size=256k');
    const storage = createSegmentStorage(pathToFileURL(target).href);
    await storage.put('small.bin', bytes(10_000));
    const error = await storageError(storage.put('segments/big.bin', bytes(1_000_000)));
    expect(error.kind).toBe('full');
    expect(error.message).toBe(`cannot write ${pathToFileURL(target).href}/segments/big.bin: no space left (ENOSPC)`);
    expect(await storage.head('segments/big.bin')).toBeNull();
    expect(readdirSync(join(target, 'segments'))).toEqual([]);
    expect(await storage.list()).toEqual([{ key: 'small.bin', size: 10_000 }]);
  });

  it('a read-only file system refuses a put', async () => {
    const storage = createSegmentStorage(pathToFileURL(mount('size=64k,ro')).href);
    const error = await storageError(storage.put('a.bin', bytes(10)));
    expect([error.kind, error.message]).toEqual(['refused', expect.stringMatching(/: not allowed \(EROFS\)$/)]);
  });
});

describe('S3 storage faults', () => {
  const open = (endpoint: string, more: object = {}) =>
    createSegmentStorage(`s3://${s3.bucket}/faults`, { endpoint, credentials: s3.credentials, ...more });

  async function failsAs(storage: ObjectStorage, kind: StorageErrorKind): Promise<{ error: StorageError; ms: number }> {
    const started = Date.now();
    const error = await storageError(storage.put('x.parquet', bytes(100)));
    await storage.close();
    expect(error.kind).toBe(kind);
    return { error, ms: Date.now() - started };
  }

  it('an endpoint with nothing listening fails as unavailable within seconds', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const { error, ms } = await failsAs(open(endpoint), 'unavailable');
    expect(error.message).toBe(`cannot write s3://${s3.bucket}/faults/x.parquet at ${endpoint}: cannot connect (ECONNREFUSED)`);
    expect(ms).toBeLessThan(5_000);
  });

  it('an endpoint that accepts connections and never answers fails as unavailable within seconds', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    try {
      const { error, ms } = await failsAs(open(endpoint, { idleTimeoutMs: 500 }), 'unavailable');
      expect(error.message).toMatch(/: timed out$/);
      expect(ms).toBeLessThan(10_000);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  it('a missing bucket is named in a not_found error', async () => {
    const storage = createSegmentStorage('s3://no-such-bucket/p', { endpoint: s3.endpoint, credentials: s3.credentials });
    const { error } = await failsAs(storage, 'not_found');
    expect(error.message).toBe(`cannot write s3://no-such-bucket/p/x.parquet at ${s3.endpoint}: the bucket does not exist`);
    // A segment looked for in a missing bucket is the bucket's fault, not a missing segment (no key named).
    const missing = await storageError(storage.head('segments/a.parquet'));
    expect([missing.kind, missing.key, missing.message]).toEqual(['not_found', undefined, `cannot stat s3://no-such-bucket/p at ${s3.endpoint}: the bucket does not exist`]);
  });

  it('unknown credentials are refused, and no message shows the secret', async () => {
    const storage = open(s3.endpoint, { credentials: { accessKeyId: 'NOT-A-KEY', secretAccessKey: 'very-secret-value' } });
    expect(storage.description).toBe(`s3://${s3.bucket}/faults at ${s3.endpoint}`);
    const { error } = await failsAs(storage, 'refused');
    expect(error.message).toMatch(/: the access key is not known$/);
    expect(error.message).not.toContain('very-secret-value');
  });
});

describe('the read circuit (archived reads, ADR 40)', () => {
  it('fails reads at once after one found the storage silent, and closes on any answer, a refusal included', async () => {
    const proxy = await startTcpProxy({ port: Number(new URL(s3.endpoint).port) });
    const raw = createSegmentStorage(`s3://${s3.bucket}/circuit`, { endpoint: `http://127.0.0.1:${proxy.port}`, credentials: s3.credentials });
    const storage = readCircuit(raw, { timeoutMs: 300, pauseMs: 200 });
    try {
      await raw.put('a.bin', bytes(10));
      proxy.blackhole();
      expect((await storageError(storage.head('a.bin'))).message).toMatch(/did not answer within 0.3 s$/);
      expect((await storageError(storage.head('a.bin'))).message).toMatch(/reads fail at once until it answers again$/);
      proxy.restore();
      await new Promise((r) => setTimeout(r, 250));
      // The probe meets a refusal (no such object): the storage answered, so reads go through again.
      expect((await storageError(storage.get('missing.bin'))).kind).toBe('not_found');
      expect(await Promise.all([storage.head('a.bin'), storage.head('a.bin')])).toEqual([{ key: 'a.bin', size: 10 }, { key: 'a.bin', size: 10 }]);
    } finally {
      await raw.close();
      await proxy.close();
    }
  });
});
