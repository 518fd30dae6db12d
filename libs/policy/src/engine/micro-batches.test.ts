/**
 * `microBatches`: the micro-batches are the rows 0…B−1 in order, cut into consecutive runs; every
 * run of two or more rows fits the budget, and no run could take the next row and still fit
 * (the cut is greedy); budget 0 gives one run.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { microBatches } from './micro-batches.js';

const padded = (lengths: readonly number[], rows: readonly number[], imageTokens: number, width: number): number =>
  rows.length * (imageTokens + Math.max(...rows.map((r) => lengths[r]!)) + width);

describe('microBatches', () => {
  it('cuts the rows, in order, into greedy runs within the budget', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 0, max: 16 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 300 }),
        (lengths, imageTokens, width, budget) => {
          const batches = microBatches(lengths, imageTokens, width, budget);
          expect(batches.flat()).toEqual(lengths.map((_, i) => i));
          batches.forEach((rows, k) => {
            expect(rows.length).toBeGreaterThan(0);
            rows.forEach((r, j) => j > 0 && expect(r).toBe(rows[j - 1]! + 1));
            if (budget === 0) return;
            if (rows.length > 1) expect(padded(lengths, rows, imageTokens, width)).toBeLessThanOrEqual(budget);
            const next = batches[k + 1];
            if (next !== undefined) expect(padded(lengths, [...rows, next[0]!], imageTokens, width)).toBeGreaterThan(budget);
          });
          if (budget === 0) expect(batches).toHaveLength(1);
        },
      ),
    );
  });

  it('puts a row over the budget alone, and splits by the widest prompt of a run', () => {
    expect(microBatches([4, 4, 4], 2, 2, 5)).toEqual([[0], [1], [2]]);
    // 2 × (2 + 4 + 2) = 16 fits; adding the 9-token prompt needs 3 × (2 + 9 + 2) = 39.
    expect(microBatches([4, 4, 9, 1], 2, 2, 30)).toEqual([[0, 1], [2, 3]]);
  });
});
