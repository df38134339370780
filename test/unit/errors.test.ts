import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.ts';

describe('AppError', () => {
  it('captures no stack for a client error, keeps one for an internal error, and leaves the limit as it was', () => {
    const before = Error.stackTraceLimit;
    const client = new AppError('not_found', 'no such event', { id: 'x' });
    const internal = new AppError('internal', 'an unexpected error occurred');
    expect(Error.stackTraceLimit).toBe(before);
    expect(client.stack).toBe('AppError: no such event');
    expect(internal.stack).toMatch(/^AppError: an unexpected error occurred\n\s+at /);
    expect(new Error('plain').stack).toMatch(/\n\s+at /);
  });

  it('is an Error with its code, detail, extensions and headers', () => {
    const e = new AppError('rate_limited', 'slow down', {}, { headers: { 'retry-after': '1' }, cause: 'x' });
    expect(e).toBeInstanceOf(Error);
    expect(e).toBeInstanceOf(AppError);
    expect([e.name, e.code, e.detail, e.message, e.headers, e.cause]).toEqual(['AppError', 'rate_limited', 'slow down', 'slow down', { 'retry-after': '1' }, 'x']);
  });
});
