import { createHash } from 'node:crypto';
import type { ObjectStorage } from './object-storage.ts';
import { StorageError } from './object-storage.ts';
import { openSegment, type SegmentReader } from './segment-reader.ts';
import type { SegmentRow } from './segment-row.ts';
import { segmentSource } from './segment-storage.ts';

export interface SegmentCacheOptions {
  storage: ObjectStorage;
  /** Most bytes of decoded events kept (about: their JSON text plus a fixed overhead per event). */
  maxBytes: number;
  maxSegments?: number;
}

/** A segment as the manifest lists it. */
export interface SegmentRef {
  key: string;
  sha256: string;
}

// Segments checked whole, remembered past their footers' eviction (a key names one file for good).
const MAX_VERIFIED = 100_000;
const VERIFY_CHUNK = 8 << 20;

const ROW_OVERHEAD = 320;
const rowBytes = (r: SegmentRow) => r.payload.length + r.metadata.length + ROW_OVERHEAD;

/**
 * An LRU of what the archive reader decoded (row groups, events, position columns, footers)
 * within a byte budget. Segments never change, so nothing goes stale; concurrent decodes are shared.
 */
export function createSegmentCache(options: SegmentCacheOptions) {
  const maxSegments = options.maxSegments ?? 512;
  const footers = new Map<string, Promise<SegmentReader>>();
  const verified = new Set<string>();

  /** A segment's source, once its whole file hashes to what the manifest recorded: nothing is served from a damaged file. */
  async function verifiedSource({ key, sha256 }: SegmentRef) {
    const source = await segmentSource(options.storage, key);
    if (!source) throw new StorageError('not_found', `the archive has no segment ${key}, which the manifest lists: restore it from a backup`, { key });
    if (verified.has(`${key}:${sha256}`)) return source;
    // Read in pieces: a check holds VERIFY_CHUNK in memory, not the whole file.
    const hash = createHash('sha256');
    for (let at = 0; at < source.byteLength; at += VERIFY_CHUNK) hash.update(await source.read(at, Math.min(source.byteLength, at + VERIFY_CHUNK)));
    const actual = hash.digest('hex');
    if (actual !== sha256) throw new StorageError('damaged', `segment ${key} is damaged (its SHA-256 is not the manifest's): restore it from a backup`, { key });
    verified.add(`${key}:${sha256}`);
    if (verified.size > MAX_VERIFIED) verified.delete(verified.values().next().value!);
    return source;
  }
  const entries = new Map<string, { value: Promise<unknown>; bytes: number }>();
  let bytes = 0;

  /** A segment by its key, checked against its SHA-256 the first time it is opened. */
  function open(segment: SegmentRef): Promise<SegmentReader> {
    const { key } = segment;
    const cached = footers.get(key);
    if (cached) {
      footers.delete(key);
      footers.set(key, cached);
      return cached;
    }
    const reader = verifiedSource(segment).then(openSegment);
    reader.catch(() => footers.delete(key));
    footers.set(key, reader);
    while (footers.size > maxSegments) footers.delete(footers.keys().next().value!);
    return reader;
  }

  async function cached<T>(id: string, load: () => Promise<T>, weigh: (value: T) => number): Promise<T> {
    const hit = entries.get(id);
    if (hit) {
      entries.delete(id);
      entries.set(id, hit);
      return hit.value as Promise<T>;
    }
    const entry = { value: load() as Promise<unknown>, bytes: 0 };
    entries.set(id, entry);
    try {
      const value = (await entry.value) as T;
      if (entries.get(id) === entry) {
        entry.bytes = weigh(value);
        bytes += entry.bytes;
        for (const [k, e] of entries) {
          if (bytes <= options.maxBytes) break;
          entries.delete(k);
          bytes -= e.bytes;
        }
      }
      return value;
    } catch (error) {
      if (entries.get(id) === entry) entries.delete(id);
      throw error;
    }
  }

  const group = (segment: SegmentRef, index: number) =>
    cached(`${segment.key}#${index}`, async () => {
      const reader = await open(segment);
      const g = reader.rowGroups[index]!;
      return reader.readPositionRange(g.minPosition, g.maxPosition);
    }, (rows) => rows.reduce((n, r) => n + rowBytes(r), 0));

  return {
    open,
    group,
    groupPositions: (segment: SegmentRef, index: number) => cached(`${segment.key}#${index}:positions`, async () => (await open(segment)).readGroupPositions(index), (p) => p.length * 8 + ROW_OVERHEAD),
    /** Rows by index in the file, in the order asked. */
    async rowsAt(segment: SegmentRef, indexes: number[]): Promise<SegmentRow[]> {
      const { key } = segment;
      const reader = await open(segment);
      const found = new Map<number, SegmentRow>();
      const missing: number[] = [];
      for (const i of indexes) {
        const g = reader.rowGroups.findIndex((x) => i >= x.rowStart && i < x.rowStart + x.rowCount);
        if (entries.has(`${key}#${g}`)) found.set(i, (await group(segment, g))[i - reader.rowGroups[g]!.rowStart]!);
        else if (entries.has(`${key}@${i}`)) found.set(i, await cached(`${key}@${i}`, async () => undefined as never, rowBytes));
        else missing.push(i);
      }
      missing.splice(0, missing.length, ...[...new Set(missing)].sort((a, b) => a - b));
      const read = missing.length > 0 ? await reader.readRowIndexes(missing) : [];
      for (const [k, i] of missing.entries()) found.set(i, await cached(`${key}@${i}`, async () => read[k]!, rowBytes));
      return indexes.map((i) => found.get(i)!);
    },
    stats: () => ({ bytes, entries: entries.size, segments: footers.size }),
  };
}

export type SegmentCache = ReturnType<typeof createSegmentCache>;
