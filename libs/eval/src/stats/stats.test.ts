import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { assertClose, PLAIN } from '@rlflow/core/testing';
import { bootstrapCi } from './bootstrap.js';
import { curveVariance, finalValue, normalizedAuc, stepsToFraction, type Curve } from './curve.js';
import { avgAtK, countsFromFlags, meanPassAtK, passAtK, unsafePassAtK } from './pass-at-k.js';
import { aggregateSeeds } from './seeds.js';
import { mean, quantile, summarize } from './summary.js';

const right = <A>(result: E.Either<Error, A>): A => {
  if (E.isLeft(result)) throw result.left;
  return result.right;
};

const curveOf = (values: readonly number[], steps?: readonly number[]): Curve => ({ steps: steps ?? values.map((_, i) => i + 1), values });

const finite = fc.double({ min: -1e3, max: 1e3, noNaN: true, noDefaultInfinity: true });

describe('summary statistics', () => {
  it('mean, sample std (n − 1) and definition-7 quantiles', () => {
    expect(right(summarize([2, 4, 4, 4, 5, 5, 7, 9]))).toEqual({ n: 8, mean: 5, std: Math.sqrt(32 / 7), min: 2, max: 9 });
    expect(right(summarize([3])).std).toBeNull();
    expect(right(quantile([1, 2, 3, 4], 0.5))).toBe(2.5);
    expect(right(quantile([4, 1, 3, 2], 0.25))).toBe(1.75);
  });

  it('names the field and index of bad input instead of returning NaN', () => {
    const empty = mean([]);
    expect(E.isLeft(empty) && empty.left.message).toBe('mean: values: is empty');
    const nan = summarize([1, Number.NaN], 'final reward');
    expect(E.isLeft(nan) && nan.left.message).toBe('summarize: final reward[1]: is NaN, expected a finite number');
    expect(E.isLeft(quantile([1], 1.5))).toBe(true);
  });
});

describe('bootstrapCi (percentile)', () => {
  it('is reproducible from its seed and collapses on constant data', () => {
    const xs = [0.2, 0.5, 0.4, 0.9, 0.3];
    expect(right(bootstrapCi({ seed: 3, resamples: 500 })(xs))).toEqual(right(bootstrapCi({ seed: 3, resamples: 500 })(xs)));
    expect(right(bootstrapCi({ seed: 3, resamples: 500 })(xs))).not.toEqual(right(bootstrapCi({ seed: 4, resamples: 500 })(xs)));
    expect(right(bootstrapCi({ seed: 1, resamples: 200 })([0.7, 0.7, 0.7]))).toMatchObject({ estimate: 0.7, lower: 0.7, upper: 0.7 });
  });

  it('covers the mean of a symmetric zero-mean sample at close to the nominal 95% rate', () => {
    let covered = 0;
    const trials = 60;
    for (let t = 0; t < trials; t++) {
      const xs = Array.from({ length: 40 }, (_, i) => Math.sin(1000 * (t * 40 + i + 1)) * 1.7);
      const ci = right(bootstrapCi({ seed: t, resamples: 400 })(xs));
      if (ci.lower <= 0 && 0 <= ci.upper) covered++;
    }
    expect(covered / trials).toBeGreaterThan(0.8);
  });

  it('stays inside the range of the data and around the estimate (property)', () => {
    fc.assert(
      fc.property(fc.array(finite, { minLength: 1, maxLength: 12 }), fc.integer(), (xs, seed) => {
        const ci = right(bootstrapCi({ seed, resamples: 100 })(xs));
        expect(ci.lower).toBeLessThanOrEqual(ci.upper);
        expect(ci.lower).toBeGreaterThanOrEqual(Math.min(...xs) - 1e-9);
        expect(ci.upper).toBeLessThanOrEqual(Math.max(...xs) + 1e-9);
      }),
      { numRuns: 100 },
    );
  });

  it('rejects an empty sample, a confidence outside (0, 1] and a non-integer resample count', () => {
    expect(E.isLeft(bootstrapCi({ seed: 0 })([]))).toBe(true);
    expect(E.isLeft(bootstrapCi({ seed: 0, confidence: 0 })([1]))).toBe(true);
    expect(E.isLeft(bootstrapCi({ seed: 0, resamples: 2.5 })([1]))).toBe(true);
  });
});

describe('aggregateSeeds', () => {
  it('gives n, mean, std and the interval', () => {
    const agg = right(aggregateSeeds({ seed: 0, resamples: 300 })([0.5, 0.6, 0.7]));
    assertClose([agg.mean, agg.std!], [0.6, 0.1], PLAIN, 'mean and std');
    expect(agg.n).toBe(3);
    expect(agg.ci.lower).toBeLessThanOrEqual(agg.mean);
    expect(agg.ci.upper).toBeGreaterThanOrEqual(agg.mean);
  });
});

describe('curve statistics', () => {
  it('final value: the mean of the last 10% of points (at least one)', () => {
    const values = Array.from({ length: 20 }, (_, i) => i);
    expect(right(finalValue()(curveOf(values)))).toBe(18.5);
    expect(right(finalValue({ tailFraction: 0.25 })(curveOf(values)))).toBe(17);
    expect(right(finalValue()(curveOf([3, 4])))).toBe(4);
  });

  it('steps to 90% of final: the step (not the index) where the curve first reaches it', () => {
    const steps = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
    const values = [0, 0.2, 0.5, 0.85, 0.95, 0.8, 1, 1, 1, 1];
    expect(right(stepsToFraction()(curveOf(values, steps)))).toBe(50);
    expect(right(stepsToFraction({ fraction: 0.5 })(curveOf(values, steps)))).toBe(30);
    expect(right(stepsToFraction({ window: 3 })(curveOf(values, steps)))).toBe(70);
    expect(right(stepsToFraction({ baseline: 'initial', fraction: 0.5 })(curveOf([0.6, 0.7, 0.8, 1, 1])))).toBe(3);
    expect(right(stepsToFraction()(curveOf([0.6, 0.7, 0.8, 1, 1])))).toBe(4);
    expect(right(stepsToFraction({ baseline: 'initial' })(curveOf([1, 0.5, 0.2, 0, 0])))).toBe(4);
    expect(right(stepsToFraction({ window: 5 })(curveOf([0, 0, 0, 0, 1])))).toBeNull();
  });

  it('AUC: trapezoid over steps, normalised by the step span', () => {
    expect(right(normalizedAuc(curveOf([0, 1], [0, 10])))).toBe(0.5);
    expect(right(normalizedAuc(curveOf([0, 1, 1], [0, 1, 3])))).toBe(2.5 / 3);
    expect(right(normalizedAuc(curveOf([0.4])))).toBe(0.4);
  });

  it('curve variance: zero for straight lines, 2σ²-like for alternating noise, residuals around a moving average', () => {
    expect(right(curveVariance()(curveOf([1, 2, 3, 4, 5])))).toBe(0);
    expect(right(curveVariance()(curveOf([0, 1, 0, 1, 0])))).toBe(1);
    expect(right(curveVariance({ method: 'residuals', window: 3 })(curveOf([0, 0, 0, 0])))).toBe(0);
    // centred means 0, 1, 2, 1, 0 → residuals 0, 2, −2, 2, 0 → population variance 2.24
    assertClose(right(curveVariance({ method: 'residuals', window: 3 })(curveOf([0, 3, 0, 3, 0]))), 2.24, PLAIN, 'residual variance');
  });

  it('rejects bad curves, naming field and index', () => {
    const unsorted = normalizedAuc(curveOf([1, 2, 3], [1, 3, 2]));
    expect(E.isLeft(unsorted) && unsorted.left.message).toBe('auc: steps[2]: is 2, expected more than the previous step 3');
    const nan = finalValue()(curveOf([1, Number.NaN]));
    expect(E.isLeft(nan) && nan.left.message).toBe('final-value: values[1]: is NaN, expected a finite number');
    expect(E.isLeft(curveVariance()(curveOf([1])))).toBe(true);
    expect(E.isLeft(curveVariance({ method: 'residuals', window: 2 })(curveOf([1, 2])))).toBe(true);
    expect(E.isLeft(stepsToFraction({ fraction: 1.5 })(curveOf([1, 2])))).toBe(true);
    expect(E.isLeft(normalizedAuc({ steps: [1], values: [1, 2] }))).toBe(true);
  });

  it('properties: AUC and final value of a constant, AUC within the range and invariant to scaling the steps', () => {
    fc.assert(
      fc.property(fc.array(finite, { minLength: 2, maxLength: 30 }), fc.double({ min: 0.1, max: 100, noNaN: true }), (values, scale) => {
        const curve = curveOf(values);
        const auc = right(normalizedAuc(curve));
        expect(auc).toBeGreaterThanOrEqual(Math.min(...values) - 1e-9);
        expect(auc).toBeLessThanOrEqual(Math.max(...values) + 1e-9);
        assertClose(right(normalizedAuc(curveOf(values, values.map((_, i) => (i + 1) * scale)))), auc, { abs: 1e-9, rel: 1e-9 }, 'scaled AUC');
        expect(right(curveVariance()(curve))).toBeGreaterThanOrEqual(0);
        const c = values[0]!;
        expect(right(normalizedAuc(curveOf(values.map(() => c))))).toBeCloseTo(c, 9);
        expect(right(finalValue()(curveOf(values.map(() => c))))).toBeCloseTo(c, 9);
        expect(right(curveVariance()(curveOf(values.map((_, i) => c + 0.5 * i))))).toBeCloseTo(0, 9);
      }),
      { numRuns: 150 },
    );
  });

  it('property: on a non-decreasing curve the steps-to-fraction step rises with the fraction', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 2, maxLength: 25 }), (increments) => {
        let total = 0;
        const curve = curveOf(increments.map((x) => (total += x)));
        const at = (q: number): number => right(stepsToFraction({ fraction: q, tailFraction: 1e-9 })(curve)) ?? Number.POSITIVE_INFINITY;
        expect(at(0.5)).toBeLessThanOrEqual(at(0.9));
        expect(at(0.9)).toBeLessThanOrEqual(at(1));
      }),
      { numRuns: 150 },
    );
  });
});

const exactPassAtK = (n: number, c: number, k: number): number => {
  const choose = (a: number, b: number): bigint => {
    if (b < 0 || b > a) return 0n;
    let r = 1n;
    for (let i = 1; i <= b; i++) r = (r * BigInt(a - b + i)) / BigInt(i);
    return r;
  };
  return 1 - Number((choose(n - c, k) * 10n ** 30n) / choose(n, k)) / 1e30;
};

describe('pass@k (Chen et al. 2021) and avg@k', () => {
  it('matches 1 − C(n−c, k)/C(n, k) computed exactly (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n }), fc.integer({ min: 1, max: n }))),
        ([n, c, k]) => {
          assertClose(right(passAtK(n, c, k)), exactPassAtK(n, c, k), { abs: 1e-12, rel: 1e-12 }, `pass@${k} n=${n} c=${c}`);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is c/n at k = 1, 1 when fewer than k answers are wrong, 0 with no correct answer, monotone in k and c', () => {
    expect(right(passAtK(10, 3, 1))).toBeCloseTo(0.3, 15);
    expect(right(passAtK(10, 8, 3))).toBe(1);
    expect(right(passAtK(10, 0, 5))).toBe(0);
    expect(unsafePassAtK(200, 1, 100)).toBeCloseTo(0.5, 12);
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 300 }).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 1, max: n - 1 }))), ([n, c, k]) => {
        const p = unsafePassAtK(n, c, k);
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThanOrEqual(1);
        expect(unsafePassAtK(n, c, k + 1)).toBeGreaterThanOrEqual(p - 1e-12);
        expect(unsafePassAtK(n, c + 1, k)).toBeGreaterThanOrEqual(p - 1e-12);
      }),
      { numRuns: 300 },
    );
  });

  it('is stable where the binomials overflow doubles (n = 2000)', () => {
    const p = right(passAtK(2000, 3, 1000));
    expect(p).toBeCloseTo(1 - (1000 * 999 * 998) / (2000 * 1999 * 1998), 12);
  });

  it('averages over problems; avg@k is the mean fraction correct and equals mean pass@1', () => {
    const flags = [
      [true, false, false, false],
      [true, true, true, true],
      [false, false, false, false],
    ];
    const counts = countsFromFlags(flags);
    expect(right(avgAtK(counts))).toBeCloseTo(5 / 12, 15);
    expect(right(meanPassAtK(1)(counts))).toBeCloseTo(5 / 12, 15);
    expect(right(meanPassAtK(4)(counts))).toBeCloseTo(2 / 3, 15);
  });

  it('rejects impossible counts, naming the problem', () => {
    const tooMany = meanPassAtK(2)([{ n: 4, c: 1 }, { n: 3, c: 5 }]);
    expect(E.isLeft(tooMany) && tooMany.left.message).toBe('pass@k: problems.c[1]: is 5, expected an integer in [0, n = 3]');
    expect(E.isLeft(passAtK(3, 1, 4))).toBe(true);
    expect(E.isLeft(passAtK(3, 1, 0))).toBe(true);
    expect(E.isLeft(avgAtK([]))).toBe(true);
  });
});
