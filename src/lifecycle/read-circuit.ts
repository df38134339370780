import { StorageError, type ObjectStorage } from './object-storage.ts';

export interface ReadCircuitOptions {
  /** A read (head, get, getRange) without an answer for this long fails as unavailable. */
  timeoutMs: number;
  /** After a read found the storage unavailable, reads fail at once for this long; then one read at a time tries it. */
  pauseMs: number;
}

export const DEFAULT_READ_CIRCUIT: ReadCircuitOptions = { timeoutMs: 10_000, pauseMs: 1_000 };

/**
 * The storage as requests read it (ADR 40): a silent storage answers within `timeoutMs`, and then at
 * once until it answers again, so that reads of the archive, which hold a PostgreSQL connection, do
 * not hold the pool for the storage's own timeouts (an S3 client's can add up to 45 s). Writes, lists
 * and deletes (archive runs) pass through.
 */
export function readCircuit(storage: ObjectStorage, options: ReadCircuitOptions = DEFAULT_READ_CIRCUIT): ObjectStorage {
  let downUntil = 0;
  let down: StorageError | undefined;
  let probing = false;

  async function read<T>(op: () => Promise<T>): Promise<T> {
    const probe = down !== undefined;
    if (probe && (performance.now() < downUntil || probing)) {
      throw new StorageError('unavailable', `${down!.message}; reads fail at once until it answers again`, { cause: down });
    }
    probing ||= probe;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StorageError('unavailable', `${storage.description} did not answer within ${options.timeoutMs / 1000} s`)), options.timeoutMs);
    });
    try {
      const result = await Promise.race([op(), late]);
      down = undefined;
      return result;
    } catch (error) {
      // Only the storage as a whole not answering opens the circuit; any other answer (a missing or
      // refused object, a missing bucket) shows it answering.
      if (error instanceof StorageError && error.kind === 'unavailable' && error.key === undefined) {
        down = error;
        downUntil = performance.now() + options.pauseMs;
      } else down = undefined;
      throw error;
    } finally {
      clearTimeout(timer);
      if (probe) probing = false;
    }
  }

  return {
    ...storage,
    head: (key) => read(() => storage.head(key)),
    get: (key) => read(() => storage.get(key)),
    getRange: (key, start, end) => read(() => storage.getRange(key, start, end)),
  };
}
