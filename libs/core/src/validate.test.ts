import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { allBinary, allFinite, allNonNegativeIntegers, guarded, inRange, integerInRange, matrixBinary, matrixFinite, nonEmpty, sameLength, sameShape } from './validate.js';
import { StageError } from './errors.js';
import { fromRows, matrix } from './matrix.js';

const leftOf = <A>(r: E.Either<StageError, A>): StageError => {
  if (E.isRight(r)) throw new Error('expected a Left');
  return r.left;
};

describe('validation checks', () => {
  it('passes good input through to the computation', () => {
    expect(guarded([allFinite('s', 'x', [1, 2])], () => 3)).toEqual(E.right(3));
  });

  it('names the field and index of the first problem', () => {
    const err = leftOf(guarded([allFinite('grpo', 'rewards', [0, 1, Number.NaN, Infinity])], () => 0));
    expect(err).toBeInstanceOf(StageError);
    expect(err).toMatchObject({ stage: 'grpo', field: 'rewards', index: 2, kind: 'not-finite' });
    expect(err.message).toBe('grpo: rewards[2]: is NaN, expected a finite number');
  });

  it('reports each kind of problem', () => {
    const cases: Array<[() => StageError | undefined, Partial<StageError>]> = [
      [sameLength('s', 'groupIds', [1], 'rewards', 2), { kind: 'length-mismatch', field: 'groupIds', index: null }],
      [nonEmpty('s', 'rewards', []), { kind: 'empty' }],
      [allBinary('s', 'correct', [0, 1, 2]), { kind: 'not-binary', index: 2 }],
      [allNonNegativeIntegers('s', 'lengths', [3, -1]), { kind: 'negative', index: 1 }],
      [allNonNegativeIntegers('s', 'lengths', [3, 1.5]), { kind: 'not-integer', index: 1 }],
      [inRange('s', 'eps', -1, { min: 0 }), { kind: 'out-of-range' }],
      [inRange('s', 'kappa', 0, { min: 0, exclusiveMin: true }), { kind: 'out-of-range' }],
      [inRange('s', 'eps', Number.NaN, {}), { kind: 'out-of-range' }],
      [matrixFinite('s', 'logp', matrix(2, 2, Float64Array.from([0, 0, 0, Number.NaN]))), { kind: 'not-finite', index: [1, 1] }],
      [matrixBinary('s', 'mask', matrix(1, 3, Float64Array.from([1, 0, 0.5]))), { kind: 'not-binary', index: [0, 2] }],
      [sameShape('s', 'mask', matrix(1, 2), 'logp', matrix(2, 2)), { kind: 'length-mismatch' }],
    ];
    for (const [check, expected] of cases) expect(check()).toMatchObject(expected);
    expect(inRange('s', 'eps', 0.2, { min: 0, max: 1 })()).toBeUndefined();
  });

  it('rejects ragged rows by index', () => {
    expect(leftOf(fromRows('s', 'logp', [[1, 2], [3]]))).toMatchObject({ field: 'logp', index: 1, kind: 'length-mismatch' });
  });
});

describe('integerInRange', () => {
  const check = (x: number, range?: { min?: number; max?: number }) => integerInRange('s', 'n', x, range)();

  it('passes safe integers inside the range', () => {
    expect([check(1, { min: 1 }), check(5, { min: 0, max: 5 }), check(-3, { max: 0 }), check(7)]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('names a value outside the range or not finite as out-of-range, a fraction inside it as not-integer', () => {
    expect(check(0, { min: 1 })).toEqual(new StageError('s', 'n', null, 'out-of-range', 'is 0, expected an integer ≥ 1'));
    expect(check(6, { min: 0, max: 5 })).toEqual(new StageError('s', 'n', null, 'out-of-range', 'is 6, expected an integer in [0, 5]'));
    expect(check(Number.NaN, { max: 9 })).toEqual(new StageError('s', 'n', null, 'out-of-range', 'is NaN, expected an integer ≤ 9'));
    expect(check(1.5, { min: 1 })).toEqual(new StageError('s', 'n', null, 'not-integer', 'is 1.5, expected an integer ≥ 1'));
    expect(check(2 ** 53)?.kind).toBe('not-integer');
  });
});
