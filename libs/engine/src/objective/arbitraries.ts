/**
 * fast-check generators for the objective's tests (docs/algorithms.md §11): configs over every
 * registered policy loss, aggregation and KL estimator, with or without sequence weights, PAPO
 * and the entropy bonus; small [B, T] batches with float32-exact values (so the float64 objective
 * and the float32 tensor forms see the same numbers) carrying every optional input; and the test
 * that keeps a case away from the kinks where a one-sided derivative would be compared.
 */
import fc from 'fast-check';
import { broadcastRows, type Matrix } from '@rlflow/core';
import {
  KL_ESTIMATORS,
  LOSS_AGGREGATIONS,
  POLICY_LOSS_NAMES,
  sequenceLogRatios,
  type LossAggregation,
  type PolicyLossName,
} from '@rlflow/clipping';
import type { ObjectiveConfig, ObjectiveInput } from './types.js';

export const f32 = (min: number, max: number): fc.Arbitrary<number> =>
  fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).map((x) => Math.fround(x));

const matrixOf = (rows: number, cols: number, xs: readonly number[]): Matrix => ({ rows, cols, data: Float64Array.from(xs) });

const valuesArb = (n: number, min: number, max: number): fc.Arbitrary<number[]> => fc.array(f32(min, max), { minLength: n, maxLength: n });

const lossAggArb = fc.constantFrom(...LOSS_AGGREGATIONS);

export interface ConfigChoices {
  readonly policyLoss?: PolicyLossName;
  readonly lossAgg?: LossAggregation;
}

/** A valid config; the policy loss and its aggregation fixed when given. */
export const objectiveConfigArb = (choices: ConfigChoices = {}): fc.Arbitrary<ObjectiveConfig> =>
  fc
    .record({
      policyLoss: choices.policyLoss === undefined ? fc.constantFrom(...POLICY_LOSS_NAMES) : fc.constant(choices.policyLoss),
      lossAgg: choices.lossAgg === undefined ? lossAggArb : fc.constant(choices.lossAgg),
      normConstant: f32(1, 20),
      dualClipC: fc.option(f32(1.6, 5), { nil: null }),
      kl: fc.record({
        coef: fc.oneof(fc.constant(0), f32(1e-3, 1)),
        estimator: fc.constantFrom(...KL_ESTIMATORS),
        lossAgg: lossAggArb,
        sequenceWeights: fc.boolean(),
      }),
      papo: fc.option(fc.record({ gamma: f32(0, 0.1), eta: f32(0, 0.1), lossAgg: lossAggArb }), { nil: null }),
      entropy: fc.record({ coef: fc.oneof(fc.constant(0), f32(1e-3, 0.1)), lossAgg: lossAggArb }),
    })
    .map((c) => ({ ...c, dualClipC: c.policyLoss === 'ppo' ? c.dualClipC : null }));

export type BoundsKind = 'scalar' | 'per-row' | 'per-token';

/**
 * One mini-batch with every optional input: logp in [−3, 0], oldLogp within ±0.6 of it, refLogp
 * within ±1, maskedLogp within ±3, entropies in [0, 3], one advantage per row in [−2, 2], KL
 * weights in [0, 1], any 0/1 mask (all-zero only when `emptyMask`), clip bounds as numbers, one
 * per row (as AAAC gives from per-sequence advantages) or one per token.
 */
export const objectiveInputArb = (options: { readonly bounds?: readonly BoundsKind[]; readonly emptyMask?: boolean } = {}): fc.Arbitrary<ObjectiveInput> =>
  fc.record({ rows: fc.integer({ min: 1, max: 4 }), cols: fc.integer({ min: 1, max: 6 }) }).chain(({ rows, cols }) => {
    const n = rows * cols;
    return fc
      .record({
        logp: valuesArb(n, -3, 0),
        oldShift: valuesArb(n, -0.6, 0.6),
        refShift: valuesArb(n, -1, 1),
        maskedShift: valuesArb(n, -3, 3),
        entropy: valuesArb(n, 0, 3),
        advantages: valuesArb(rows, -2, 2),
        klWeights: valuesArb(rows, 0, 1),
        mask: options.emptyMask === true ? fc.constant(new Array<number>(n).fill(0)) : fc.array(fc.constantFrom(0, 1, 1), { minLength: n, maxLength: n }),
        boundsKind: fc.constantFrom(...(options.bounds ?? (['scalar', 'per-row', 'per-token'] as const))),
        lowRows: valuesArb(rows, 0.05, 0.5),
        highRows: valuesArb(rows, 0.05, 0.5),
        lowTokens: valuesArb(n, 0.05, 0.5),
        highTokens: valuesArb(n, 0.05, 0.5),
      })
      .map((x): ObjectiveInput => {
        const shifted = (shift: readonly number[]): Matrix => matrixOf(rows, cols, x.logp.map((lp, i) => Math.fround(lp + shift[i]!)));
        const bound = (perRow: readonly number[], perToken: readonly number[]): number | Matrix =>
          x.boundsKind === 'scalar' ? perRow[0]! : x.boundsKind === 'per-row' ? broadcastRows(perRow, cols) : matrixOf(rows, cols, perToken);
        return {
          logp: matrixOf(rows, cols, x.logp),
          oldLogp: shifted(x.oldShift),
          mask: matrixOf(rows, cols, x.mask),
          advantages: Float64Array.from(x.advantages),
          epsLow: bound(x.lowRows, x.lowTokens),
          epsHigh: bound(x.highRows, x.highTokens),
          refLogp: shifted(x.refShift),
          klWeights: Float64Array.from(x.klWeights),
          maskedLogp: shifted(x.maskedShift),
          entropy: matrixOf(rows, cols, x.entropy),
        };
      });
  });

/** A config and a batch; gspo's bounds constant along each row (its ratio is one per sequence). */
export const objectiveCaseArb = (choices: ConfigChoices = {}, options: { readonly emptyMask?: boolean } = {}) =>
  objectiveConfigArb(choices).chain((config) =>
    objectiveInputArb({ ...options, bounds: config.policyLoss === 'gspo' ? ['scalar', 'per-row'] : ['scalar', 'per-row', 'per-token'] }).map((input) => ({ config, input })),
  );

const boundAt = (bound: number | Matrix, i: number): number => (typeof bound === 'number' ? bound : bound.data[i]!);

/**
 * Every valid token is at least `margin` away from each kink of the loss: the ratio (per token,
 * or gspo's s_i) from 1 − ε_low and 1 + ε_high, from the dual-clip constant where A < 0, |logp −
 * refLogp| from 0 for `abs`, and PAPO's e^δ − δ − 1 from its clamp at 10.
 */
export const awayFromKinks = ({ config, input }: { readonly config: ObjectiveConfig; readonly input: ObjectiveInput }, margin = 1e-4): boolean => {
  const { logp, oldLogp, mask } = input;
  const logS = sequenceLogRatios(logp, oldLogp, mask);
  for (let i = 0; i < logp.data.length; i++) {
    if (mask.data[i] !== 1) continue;
    const row = Math.floor(i / logp.cols);
    const ratio = config.policyLoss === 'gspo' ? Math.exp(logS[row]!) : Math.exp(logp.data[i]! - oldLogp.data[i]!);
    if (Math.abs(ratio - (1 - boundAt(input.epsLow, i))) <= margin || Math.abs(ratio - (1 + boundAt(input.epsHigh, i))) <= margin) return false;
    if (config.dualClipC !== null && input.advantages[row]! < 0 && Math.abs(ratio - config.dualClipC) <= margin) return false;
    if (config.kl.coef !== 0 && config.kl.estimator === 'abs' && Math.abs(logp.data[i]! - input.refLogp!.data[i]!) <= margin) return false;
    if (config.papo !== null) {
      const delta = input.maskedLogp!.data[i]! - logp.data[i]!;
      if (Math.abs(Math.expm1(delta) - delta - 10) <= margin) return false;
    }
  }
  return true;
};
