import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { backoffCeilingMs, jitterDraw, parseRetryAfterMs, retryDelayMs, type BackoffPolicy } from './backoff.js';

const policy: BackoffPolicy = { baseDelayMs: 100, maxDelayMs: 5000, maxRetryAfterMs: 60_000 };

describe('retry delays', () => {
  it('doubles the ceiling per retry up to the cap', () => {
    expect([0, 1, 2, 3, 6, 7, 100].map((n) => backoffCeilingMs(policy, n))).toEqual([100, 200, 400, 800, 5000, 5000, 5000]);
  });

  it('stays within [0, ceiling) without Retry-After and at or above Retry-After (capped) with it', () => {
    fc.assert(
      fc.property(fc.nat({ max: 60 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.option(fc.nat({ max: 200_000 })), (n, u, after) => {
        const d = retryDelayMs(policy, n, u, after ?? undefined);
        expect(Number.isFinite(d)).toBe(true);
        if (after === null) {
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThan(backoffCeilingMs(policy, n));
        } else {
          expect(d).toBeGreaterThanOrEqual(Math.min(after, policy.maxRetryAfterMs));
          expect(d).toBeLessThanOrEqual(Math.max(Math.min(after, policy.maxRetryAfterMs), backoffCeilingMs(policy, n)));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('draws jitter reproducibly from (seed, key, retry)', () => {
    expect(jitterDraw(7, 'a#0', 1)).toBe(jitterDraw(7, 'a#0', 1));
    expect(jitterDraw(7, 'a#0', 1)).not.toBe(jitterDraw(7, 'a#0', 2));
    expect(jitterDraw(7, 'a#0', 1)).not.toBe(jitterDraw(8, 'a#0', 1));
    const u = jitterDraw(3, 'x', 0);
    expect(u >= 0 && u < 1).toBe(true);
  });

  it('reads Retry-After as seconds, an HTTP date or retry-after-ms', () => {
    const headers = (h: Record<string, string>) => (name: string) => h[name];
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfterMs(headers({ 'retry-after': '3' }), now)).toBe(3000);
    expect(parseRetryAfterMs(headers({ 'retry-after': ' 0.5 ' }), now)).toBe(500);
    expect(parseRetryAfterMs(headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:10 GMT' }), now)).toBe(10_000);
    expect(parseRetryAfterMs(headers({ 'retry-after': 'Tue, 31 Dec 2024 00:00:00 GMT' }), now)).toBe(0);
    expect(parseRetryAfterMs(headers({ 'retry-after-ms': '250', 'retry-after': '9' }), now)).toBe(250);
    expect(parseRetryAfterMs(headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(parseRetryAfterMs(headers({ 'retry-after': '-1' }), now)).toBeUndefined();
    expect(parseRetryAfterMs(headers({}), now)).toBeUndefined();
  });
});
