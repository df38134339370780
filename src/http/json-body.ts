import type { Context } from 'hono';
import { AppError } from '../errors.ts';
import { findUnstorableJson } from '../events/json-guard.ts';

export const MAX_JSON_DEPTH = 64;

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a JSON request body strictly: JSON content type (UTF-8 only) or 415, valid UTF-8 and
 * JSON or 400, and nothing that would be stored differently from what was sent or 422
 * (see json-guard.ts). The size limit is applied before this, by bodyLimit.
 */
export async function readJsonBody(c: Context): Promise<unknown> {
  const contentType = c.req.header('content-type');
  const [mediaType = '', ...params] = (contentType ?? '').split(';').map((s) => s.trim());
  if (!JSON_MEDIA_TYPE.test(mediaType)) {
    throw new AppError('unsupported_media_type', 'send the body as application/json', { accepted: ['application/json'] });
  }
  const charset = params.find((p) => /^charset=/i.test(p))?.slice(8).replace(/"/g, '');
  if (charset && !/^utf-?8$/i.test(charset)) {
    throw new AppError('unsupported_media_type', `charset ${charset} is not supported; send UTF-8`);
  }

  let text: string;
  try {
    text = utf8.decode(await c.req.arrayBuffer());
  } catch (error) {
    if (error instanceof TypeError) throw new AppError('malformed_json', 'the body is not valid UTF-8');
    throw error;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new AppError('malformed_json', `the body is not valid JSON: ${(error as Error).message}`);
  }
  const issues = findUnstorableJson(text, { maxDepth: MAX_JSON_DEPTH });
  if (issues.length > 0) {
    throw new AppError('validation_failed', 'the body holds JSON that cannot be stored as sent', { errors: issues });
  }
  return body;
}
