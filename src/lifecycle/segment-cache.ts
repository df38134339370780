import type { ObjectStorage } from './object-storage.ts';
import { openSegment, type SegmentReader } from './segment-reader.ts';
import type { SegmentRow } from './segment-row.ts';
import { segmentSource } from './segment-storage.ts';
import { StorageError } from './object-storage.ts';

export interface SegmentCacheOptions {
  storage: ObjectStorage;
  /** Most bytes of decoded events kept (about: their JSON text plus a fixed overhead per event). */
  maxBytes: number;
  /** Most segment footers kept open. */
  maxSegments?: number;
}

const ROW_OVERHEAD = 320;

/**
 * Decoded row groups of archive segments, least recently used first out, within a memory
 * budget; and the segments' footers, so a read fetches only the row groups it needs (a ranged
 * read each). Segments never change once written, so nothing here goes stale; a group being
 * decoded is shared by every reader that asks for it meanwhile.
 */
export function createSegmentCache(options: SegmentCacheOptions) {
  const maxSegments = options.maxSegments ?? 512;
  const footers = new Map<string, Promise<SegmentReader>>();
  const groups = new Map<string, { rows: Promise<SegmentRow[]>; bytes: number }>();
  let bytes = 0;

  function touch<K, V>(map: Map<K, V>, key: K, value: V) {
    map.delete(key);
    map.set(key, value);
  }

  function open(key: string): Promise<SegmentReader> {
    const cached = footers.get(key);
    if (cached) {
      touch(footers, key, cached);
      return cached;
    }
    const reader = (async () => {
      const source = await segmentSource(options.storage, key);
      if (!source) throw new StorageError('not_found', `the archive has no segment ${key}`);
      return openSegment(source);
    })();
    reader.catch(() => footers.delete(key));
    footers.set(key, reader);
    while (footers.size > maxSegments) footers.delete(footers.keys().next().value!);
    return reader;
  }

  function evict() {
    for (const [k, g] of groups) {
      if (bytes <= options.maxBytes) return;
      groups.delete(k);
      bytes -= g.bytes;
    }
  }

  return {
    open,
    /** The rows of one row group of a segment, in position order. */
    async group(key: string, index: number): Promise<SegmentRow[]> {
      const id = `${key}#${index}`;
      const cached = groups.get(id);
      if (cached) {
        touch(groups, id, cached);
        return cached.rows;
      }
      const reader = await open(key);
      const g = reader.rowGroups[index]!;
      const entry = { rows: reader.readPositionRange(g.minPosition, g.maxPosition), bytes: 0 };
      groups.set(id, entry);
      try {
        const rows = await entry.rows;
        entry.bytes = rows.reduce((n, r) => n + r.payload.length + r.metadata.length + ROW_OVERHEAD, 0);
        if (groups.get(id) === entry) bytes += entry.bytes;
        evict();
        return rows;
      } catch (error) {
        if (groups.get(id) === entry) groups.delete(id);
        throw error;
      }
    },
    stats: () => ({ bytes, groups: groups.size, segments: footers.size }),
  };
}

export type SegmentCache = ReturnType<typeof createSegmentCache>;
