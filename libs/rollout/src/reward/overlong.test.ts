import * as E from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PLAIN, assertClose, field, loadVectorFiles } from '@rlflow/core/testing';
import { overlongPenalties, overlongPenalty } from './overlong.js';

const cases = loadVectorFiles()
  .filter((f) => f.stage === 'dapo.overlong')
  .flatMap((f) => f.cases);

describe('overlong penalty (docs/algorithms.md §9)', () => {
  it('has golden cases to check against', () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  it.each(cases.map((c) => [c.name, c] as const))('matches golden case %s', (_name, c) => {
    const params = { maxLen: field.number(c.params, 'maxLen'), bufferLen: field.number(c.params, 'bufferLen'), factor: field.number(c.params, 'penaltyFactor') };
    const result = overlongPenalties(params)(field.vector(c.input, 'lengths'));
    if (E.isLeft(result)) throw result.left;
    assertClose(Array.from(result.right), field.vector(c.expected, 'penalties'), PLAIN, c.name);
  });

  it('is 0 up to maxLen − bufferLen, −factor at maxLen, and non-increasing', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 200 }), fc.double({ min: 0, max: 3, noNaN: true }), fc.integer({ min: 0, max: 400 }), (bufferLen, extra, factor, length) => {
        const params = { maxLen: bufferLen + extra, bufferLen, factor };
        const penalty = overlongPenalty(params);
        expect(Object.is(penalty(extra), 0)).toBe(true);
        expect(penalty(Math.min(length, extra))).toBe(0);
        expect(penalty(params.maxLen)).toBeCloseTo(-factor, 12);
        expect(penalty(length + 1)).toBeLessThanOrEqual(penalty(length));
      }),
    );
  });

  it('reports bad parameters and lengths by name and index', () => {
    const err = (r: E.Either<{ field: string; index: unknown }, unknown>): unknown => (E.isLeft(r) ? [r.left.field, r.left.index] : 'ok');
    expect(err(overlongPenalties({ maxLen: 10, bufferLen: 0, factor: 1 })([1]))).toEqual(['bufferLen', null]);
    expect(err(overlongPenalties({ maxLen: 3, bufferLen: 4, factor: 1 })([1]))).toEqual(['maxLen', null]);
    expect(err(overlongPenalties({ maxLen: 10, bufferLen: 4, factor: Number.NaN })([1]))).toEqual(['factor', null]);
    expect(err(overlongPenalties({ maxLen: 10, bufferLen: 4, factor: 1 })([1, 2.5]))).toEqual(['lengths', 1]);
    expect(err(overlongPenalties({ maxLen: 10, bufferLen: 4, factor: 1 })([1, -1]))).toEqual(['lengths', 1]);
  });
});
