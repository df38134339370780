import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { leaseValidUntil, untilRenewal } from '../../src/publishing/lease.ts';

describe('lease arithmetic', () => {
  it('a holder stops using its lease before PostgreSQL lets another take it, even with its clock 20% slow', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 500, max: 600_000 }), fc.integer({ min: 0, max: 10_000 }), (sentAt, leaseMs, answerDelay) => {
        // PostgreSQL sets lease_until when the request arrives, at or after sentAt (its clock).
        const expiresAt = sentAt + answerDelay + leaseMs;
        const validUntil = leaseValidUntil(sentAt, leaseMs);
        // A local clock running at 0.8x speed reaches validUntil (local) at sentAt + (validUntil - sentAt) / 0.8 real time.
        // Exactly at the bound by design; the division may round a few ulps up.
        expect(sentAt + (validUntil - sentAt) / 0.8).toBeLessThanOrEqual(expiresAt + 1e-6);
      }),
    );
  });

  it('a renewal falls due while there is still as long again to get its answer', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 500, max: 600_000 }), (sentAt, leaseMs) => {
        const validUntil = leaseValidUntil(sentAt, leaseMs);
        const dueAt = sentAt + untilRenewal(validUntil, leaseMs, sentAt);
        expect(dueAt).toBeGreaterThan(sentAt);
        expect(validUntil - dueAt).toBeCloseTo(leaseMs * 0.4);
        expect(untilRenewal(validUntil, leaseMs, validUntil)).toBe(0);
      }),
    );
  });
});
