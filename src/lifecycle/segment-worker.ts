import { createHash } from 'node:crypto';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { encodeSegment } from './segment-format.ts';
import { openSegment } from './segment-reader.ts';
import { eventJson, type SegmentRow } from './segment-row.ts';

/** What a segment file holds, as the archiver checks it: before writing, and read back. */
export interface SegmentSummary {
  sha256: string;
  /** SHA-256 of the events' canonical JSON, one per line, in position order. */
  contentSha256: string;
  events: number;
  firstPosition: number;
  lastPosition: number;
}

export type CodecCall = { op: 'encode'; rows: SegmentRow[]; rowGroupSize?: number } | { op: 'inspect'; bytes: Uint8Array };
export type CodecRequest = CodecCall & { id: number };

export type CodecResponse =
  | { id: number; ok: true; bytes?: Uint8Array; summary: SegmentSummary }
  | { id: number; ok: false; error: string };

// Pages of 8 KiB: a point read decodes a page per column instead of whole row groups.
const PAGE_SIZE = 8_192;

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');

function summarise(bytes: Uint8Array, rows: SegmentRow[]): SegmentSummary {
  const content = createHash('sha256');
  rows.forEach((r, i) => {
    if (i > 0 && !(r.position > rows[i - 1]!.position)) throw new Error(`positions out of order at ${r.position}`);
    content.update(eventJson(r)).update('\n');
  });
  return { sha256: sha256(bytes), contentSha256: content.digest('hex'), events: rows.length, firstPosition: rows[0]?.position ?? 0, lastPosition: rows[rows.length - 1]?.position ?? 0 };
}

// Segment coding takes seconds of CPU: off the event loop, at the lowest priority, so appends and reads come first.
try {
  setPriority(0, 19);
} catch {
  // not allowed here: the archive runs at normal priority
}
parentPort?.on('message', async (request: CodecRequest) => {
  let response: CodecResponse;
  try {
    if (request.op === 'encode') {
      const bytes = encodeSegment(request.rows, { rowGroupSize: request.rowGroupSize, pageSize: PAGE_SIZE });
      response = { id: request.id, ok: true, bytes, summary: summarise(bytes, request.rows) };
    } else {
      const rows = await (await openSegment(request.bytes)).readAll();
      response = { id: request.id, ok: true, summary: summarise(request.bytes, rows) };
    }
  } catch (error) {
    response = { id: request.id, ok: false, error: (error as Error).message };
  }
  parentPort!.postMessage(response, response.ok && response.bytes ? [response.bytes.buffer as ArrayBuffer] : []);
});
