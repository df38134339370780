import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { AppError, countedDetail } from '../errors.ts';
import { findUnstorableJson } from '../events/json-guard.ts';

export const MAX_JSON_DEPTH = 64;

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i;
const utf8 = new TextDecoder('utf-8', { fatal: true });

const tooLarge = (maxBytes: number) =>
  new AppError('payload_too_large', `the request body is larger than ${maxBytes} bytes`, { limit_bytes: maxBytes });

/** The body, refused with 413 once past maxBytes whatever Content-Length says; reads Node's IncomingMessage directly, cheaper than a web stream. */
export async function readBody(c: Context, maxBytes: number): Promise<Uint8Array> {
  const declared = c.req.header('content-length');
  if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming && typeof incoming.on === 'function' && !incoming.readableDidRead) return readNodeBody(incoming, maxBytes);
  return readWebBody(c.req.raw.body, maxBytes);
}

function readNodeBody(incoming: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (settle: () => void) => {
      incoming.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      settle();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) done(() => reject(tooLarge(maxBytes)));
      else chunks.push(chunk);
    };
    const onEnd = () => done(() => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    const onError = (error: Error) => done(() => reject(new AppError('malformed_request', `the request body could not be read: ${error.message}`)));
    const onClose = () => done(() => reject(new AppError('malformed_request', 'the client closed the connection before the body ended')));
    incoming.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

async function readWebBody(body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<Uint8Array> {
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

// Bodies are read as sent: a coded body (gzip, ...) would be taken for its compressed bytes, and a
// body merely labelled with a coding would be stored although the client meant something else.
// RFC 9110 §15.5.16: 415, with Accept-Encoding naming the codings that are accepted.
function refuseContentCoding(header: string | undefined): void {
  const codings = (header ?? '').split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '' && s !== 'identity');
  if (codings.length === 0) return;
  throw new AppError('unsupported_media_type', `Content-Encoding ${codings.join(', ')} is not supported; send the body uncompressed (identity is the only coding accepted)`, {}, { headers: { 'accept-encoding': 'identity' } });
}

/** A strict JSON body: 415 unless JSON in UTF-8 without a content coding, 413 past maxBytes, 400 unless valid, 422 for what would be stored differently (json-guard.ts). */
export async function readJsonBody(c: Context, maxBytes: number): Promise<unknown> {
  const contentType = c.req.header('content-type');
  const [mediaType = '', ...params] = (contentType ?? '').split(';').map((s) => s.trim());
  if (!JSON_MEDIA_TYPE.test(mediaType)) {
    throw new AppError('unsupported_media_type', 'send the body as application/json', { accepted: ['application/json'] });
  }
  const charset = params.find((p) => /^charset=/i.test(p))?.slice(8).replace(/"/g, '');
  if (charset && !/^utf-?8$/i.test(charset)) {
    throw new AppError('unsupported_media_type', `charset ${charset} is not supported; send UTF-8`);
  }
  refuseContentCoding(c.req.header('content-encoding'));

  const bytes = await readBody(c, maxBytes);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new AppError('malformed_json', 'the body is not valid UTF-8');
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new AppError('malformed_json', `the body is not valid JSON: ${(error as Error).message}`);
  }
  const { issues, found } = findUnstorableJson(text, { maxDepth: MAX_JSON_DEPTH, size: { bytes: bytes.length, maxBytes } });
  if (found > 0) {
    throw new AppError('validation_failed', countedDetail('the body holds JSON that cannot be stored as sent', found), { errors: issues });
  }
  return body;
}
