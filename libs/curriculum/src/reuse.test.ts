import * as E from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StageError, unwrap } from '@rlflow/core';
import { ADAPTIVE_DEFAULTS, adaptReuse, driftRatio, type AdaptiveReuseParams } from './adaptive-reuse.js';
import { reuseSchedule, reuseScheduleNames, type ReuseScheduleName, type ReuseScheduleParams } from './reuse.js';

const errorOf = <A>(result: E.Either<StageError, A>): StageError => {
  if (E.isRight(result)) throw new Error('expected a StageError');
  return result.left;
};

const bounds = fc.integer({ min: 1, max: 8 }).chain((kMin) => fc.tuple(fc.constant(kMin), fc.integer({ min: kMin, max: 12 })));
const scheduleParams = fc
  .tuple(bounds, fc.constantFrom(...reuseScheduleNames), fc.integer({ min: 0, max: 120 }), fc.double({ min: 0, max: 1, noNaN: true }))
  .map(([[kMin, kMax], schedule, totalSteps, warmupFrac]): ReuseScheduleParams => ({ kMin, kMax, schedule, totalSteps, warmupFrac }));

describe('reuse schedule K(t)', () => {
  it('stays in [K_min, K_max], is an integer, and never decreases in t', () => {
    fc.assert(
      fc.property(scheduleParams, (params) => {
        const reuseAt = reuseSchedule(params);
        let previous = -Infinity;
        for (let t = 0; t <= params.totalSteps + 2; t++) {
          const k = unwrap(reuseAt(t));
          expect(Number.isInteger(k)).toBe(true);
          expect(k).toBeGreaterThanOrEqual(params.kMin);
          expect(k).toBeLessThanOrEqual(params.kMax);
          expect(k).toBeGreaterThanOrEqual(previous);
          previous = k;
        }
      }),
      { numRuns: 150 },
    );
  });

  it('runs from K_min at t = 0 to K_max at t = T − 1 (constant stays at K_min)', () => {
    fc.assert(
      fc.property(scheduleParams, (params) => {
        fc.pre(params.totalSteps >= 2);
        const reuseAt = reuseSchedule(params);
        const start = params.schedule === 'step' && params.warmupFrac === 0 ? params.kMax : params.kMin;
        expect(unwrap(reuseAt(0))).toBe(start);
        expect(unwrap(reuseAt(params.totalSteps - 1))).toBe(params.schedule === 'constant' ? params.kMin : params.kMax);
      }),
      { numRuns: 150 },
    );
  });

  it('uses p = 0 when T ≤ 1 and rounds half up', () => {
    for (const schedule of ['linear', 'cosine'] as const) {
      expect(unwrap(reuseSchedule({ schedule, kMin: 2, kMax: 5, totalSteps: 1, warmupFrac: 0.3 })(7))).toBe(2);
    }
    expect(unwrap(reuseSchedule({ schedule: 'linear', kMin: 1, kMax: 2, totalSteps: 3, warmupFrac: 0 })(1))).toBe(2);
    expect(unwrap(reuseSchedule({ schedule: 'step', kMin: 1, kMax: 4, totalSteps: 11, warmupFrac: 0.3 })(2))).toBe(1);
    expect(unwrap(reuseSchedule({ schedule: 'step', kMin: 1, kMax: 4, totalSteps: 11, warmupFrac: 0.3 })(3))).toBe(4);
  });

  it('rejects bad parameters and steps', () => {
    const good: ReuseScheduleParams = { schedule: 'linear', kMin: 1, kMax: 4, totalSteps: 10, warmupFrac: 0.3 };
    const cases: ReadonlyArray<readonly [Partial<ReuseScheduleParams>, string, string]> = [
      [{ kMin: 0 }, 'kMin', 'out-of-range'],
      [{ kMin: 1.5 }, 'kMin', 'not-integer'],
      [{ kMax: 0 }, 'kMax', 'out-of-range'],
      [{ totalSteps: -1 }, 'totalSteps', 'out-of-range'],
      [{ warmupFrac: 1.5 }, 'warmupFrac', 'out-of-range'],
      [{ schedule: 'exponential' as ReuseScheduleName }, 'schedule', 'invalid'],
    ];
    for (const [override, fieldName, kind] of cases) {
      expect(errorOf(reuseSchedule({ ...good, ...override })(0))).toMatchObject({ stage: 'curriculum.reuse', field: fieldName, kind });
    }
    for (const t of [-1, 0.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(errorOf(reuseSchedule(good)(t))).toMatchObject({ field: 'step', kind: 'invalid' });
    }
  });
});

const adaptiveParams = fc
  .tuple(bounds, fc.double({ min: 1e-3, max: 0.1, noNaN: true }), fc.double({ min: 0.05, max: 0.5, noNaN: true }))
  .map(([[kMin, kMax], targetKl, targetClipFrac]): AdaptiveReuseParams => ({ schedule: 'adaptive', kMin, kMax, targetKl, targetClipFrac }));
const drift = fc.record({ approxKl: fc.double({ min: -0.3, max: 0.3, noNaN: true }), clipFrac: fc.double({ min: 0, max: 1, noNaN: true }) });

describe('adaptive reuse', () => {
  it('stays in [K_min, K_max] and is deterministic over any sequence of drifts', () => {
    fc.assert(
      fc.property(adaptiveParams, fc.array(drift, { maxLength: 30 }), (params, drifts) => {
        const run = (): number[] => {
          const ks = [params.kMin];
          for (const d of drifts) ks.push(unwrap(adaptReuse(params)({ reuse: ks[ks.length - 1]!, drift: d })));
          return ks;
        };
        const ks = run();
        for (const k of ks) {
          expect(Number.isInteger(k)).toBe(true);
          expect(k).toBeGreaterThanOrEqual(params.kMin);
          expect(k).toBeLessThanOrEqual(params.kMax);
        }
        expect(run()).toEqual(ks);
      }),
      { numRuns: 150 },
    );
  });

  it('rises by one under low drift, falls under high drift, and holds inside the band', () => {
    fc.assert(
      fc.property(adaptiveParams, fc.integer({ min: 1, max: 12 }), drift, (params, reuse, d) => {
        const k = Math.min(Math.max(reuse, params.kMin), params.kMax);
        const next = unwrap(adaptReuse(params)({ reuse, drift: d }));
        const rho = driftRatio(params, d);
        if (rho > 1) {
          expect(next).toBe(k === params.kMin ? params.kMin : Math.max(params.kMin, Math.min(k - 1, Math.floor(k / 2))));
          if (k > params.kMin) expect(next).toBeLessThan(k);
        } else if (rho <= ADAPTIVE_DEFAULTS.raiseBelow) {
          expect(next).toBe(Math.min(params.kMax, k + 1));
        } else {
          expect(next).toBe(k);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('climbs to K_max under sustained low drift and drops to K_min under sustained high drift', () => {
    const params: AdaptiveReuseParams = { schedule: 'adaptive', kMin: 1, kMax: 6 };
    let k = 1;
    for (let i = 0; i < 10; i++) k = unwrap(adaptReuse(params)({ reuse: k, drift: { approxKl: 0.001, clipFrac: 0.02 } }));
    expect(k).toBe(6);
    const falling = [k];
    for (let i = 0; i < 4; i++) falling.push(unwrap(adaptReuse(params)({ reuse: falling[i]!, drift: { approxKl: -0.05, clipFrac: 0.1 } })));
    expect(falling).toEqual([6, 3, 1, 1, 1]);
  });

  it('rejects bad parameters and drift', () => {
    const params: AdaptiveReuseParams = { schedule: 'adaptive', kMin: 1, kMax: 4 };
    const ok = { reuse: 2, drift: { approxKl: 0.01, clipFrac: 0.1 } };
    expect(errorOf(adaptReuse({ ...params, targetKl: 0 })(ok))).toMatchObject({ stage: 'curriculum.adaptive', field: 'targetKl', kind: 'out-of-range' });
    expect(errorOf(adaptReuse({ ...params, targetClipFrac: 2 })(ok))).toMatchObject({ field: 'targetClipFrac' });
    expect(errorOf(adaptReuse({ ...params, backoff: -0.5 })(ok))).toMatchObject({ field: 'backoff' });
    expect(errorOf(adaptReuse({ ...params, raiseBelow: 1.5 })(ok))).toMatchObject({ field: 'raiseBelow' });
    expect(errorOf(adaptReuse({ ...params, kMax: 0 })(ok))).toMatchObject({ field: 'kMax' });
    expect(errorOf(adaptReuse(params)({ ...ok, reuse: 0 }))).toMatchObject({ field: 'reuse', kind: 'out-of-range' });
    expect(errorOf(adaptReuse(params)({ ...ok, drift: { approxKl: Number.NaN, clipFrac: 0 } }))).toMatchObject({ field: 'approxKl' });
    expect(errorOf(adaptReuse(params)({ ...ok, drift: { approxKl: 0, clipFrac: 1.2 } }))).toMatchObject({ field: 'clipFrac' });
  });
});
