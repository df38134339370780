import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkKey, checkPrefix, type ObjectStorage, StorageError, type StorageErrorKind } from './object-storage.ts';

/** Objects as files under `root`: temp file, fsync, rename, fsync the directory, so a put survives a crash once it returns. */
export function createFileStorage(root: string): ObjectStorage {
  const description = pathToFileURL(root).href;
  const pathOf = (key: string) => join(root, ...checkKey(key).split('/'));
  const fail = (action: string, key: string, error: unknown) => fileError(action, `${description}/${key}`, error);

  return {
    description,
    async put(key, bytes) {
      const path = pathOf(key);
      const dir = dirname(path);
      const temp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
      try {
        await mkdir(dir, { recursive: true });
        const file = await open(temp, 'wx');
        try {
          await file.writeFile(bytes);
          await file.sync();
        } finally {
          await file.close();
        }
        await rename(temp, path);
        await syncDirectory(dir);
      } catch (error) {
        await unlink(temp).catch(() => {});
        throw fail('cannot write', key, error);
      }
    },
    async get(key) {
      try {
        return new Uint8Array(await readFile(pathOf(key)));
      } catch (error) {
        throw fail('cannot read', key, error);
      }
    },
    async getRange(key, start, end) {
      try {
        const file = await open(pathOf(key), 'r');
        try {
          const buffer = Buffer.alloc(Math.max(0, end - start));
          const { bytesRead } = await file.read(buffer, 0, buffer.length, start);
          return new Uint8Array(buffer.buffer, buffer.byteOffset, bytesRead);
        } finally {
          await file.close();
        }
      } catch (error) {
        throw fail('cannot read', key, error);
      }
    },
    async head(key) {
      try {
        const s = await stat(pathOf(key));
        return s.isFile() ? { key, size: s.size } : null;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fail('cannot stat', key, error);
      }
      // A missing root is the storage's fault (a wrong ARCHIVE_URL, an unmounted volume), not the object's.
      if (!(await stat(root).then((r) => r.isDirectory(), () => false))) throw new StorageError('not_found', `cannot stat ${description}: the directory does not exist`);
      return null;
    },
    async list(prefix = '') {
      checkPrefix(prefix);
      const start = join(root, ...prefix.split('/').slice(0, -1));
      try {
        const found = (await walk(start))
          .map(({ path, size }) => ({ key: relative(root, path).split(sep).join('/'), size }))
          .filter((o) => o.key.startsWith(prefix));
        return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      } catch (error) {
        throw fail('cannot list', prefix, error);
      }
    },
    async delete(key) {
      try {
        await unlink(pathOf(key));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fail('cannot delete', key, error);
      }
    },
    async close() {},
  };
}

async function walk(dir: string): Promise<{ path: string; size: number }[]> {
  const files: { path: string; size: number }[] = [];
  const entries = await readdir(dir, { withFileTypes: true }).catch(ignoreMissing([]));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await walk(path)));
    else if (entry.isFile()) {
      const size = await stat(path).then((s) => s.size, ignoreMissing(-1));
      if (size >= 0) files.push({ path, size });
    }
  }
  return files;
}

const ignoreMissing = <T>(value: T) => (error: NodeJS.ErrnoException): T => {
  if (error.code === 'ENOENT') return value;
  throw error;
};

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const KINDS: Record<string, StorageErrorKind> = {
  ENOENT: 'not_found', ENOTDIR: 'not_found',
  ENOSPC: 'full', EDQUOT: 'full', EFBIG: 'full',
  EACCES: 'refused', EPERM: 'refused', EROFS: 'refused', EEXIST: 'refused', EISDIR: 'refused',
};

function fileError(action: string, location: string, error: unknown): StorageError {
  const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
  const kind = KINDS[code] ?? 'unavailable';
  const reason = { not_found: 'no such object', full: 'no space left', refused: 'not allowed', unavailable: 'I/O error', damaged: 'damaged' }[kind];
  return new StorageError(kind, `${action} ${location}: ${reason} (${code})`, { cause: error });
}
