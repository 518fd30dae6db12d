/**
 * Loss aggregation (`lossAgg`) of a [B, T] per-token loss under a 0/1 mask:
 *
 * - `token-mean`:              Σ loss·mask / max(Σ mask, 1)
 * - `seq-mean-token-sum`:      mean over sequences with ≥ 1 valid token of Σ_t loss·mask
 * - `seq-mean-token-mean`:     mean over sequences with ≥ 1 valid token of Σ_t loss·mask / Σ_t mask
 * - `seq-mean-token-sum-norm`: Σ loss·mask / C, C = `normConstant` (default T, the padded length)
 *
 * A batch with no valid token aggregates to 0. Every mode is linear in the loss, so each is
 * `Σ w·loss` with per-token weights `w = ∂agg/∂loss` that depend on the mask only; the losses use
 * the weights for their analytic gradients.
 *
 * Reference: docs/algorithms.md §3 (verl `core_algos.agg_loss`).
 */
import * as E from 'fp-ts/lib/Either.js';
import { guarded, inRange, type Check, type Matrix, type StageError } from '@rlflow/core';
import { oneOf, tokenInputChecks } from './validation.js';

export const LOSS_AGGREGATIONS = ['token-mean', 'seq-mean-token-sum', 'seq-mean-token-mean', 'seq-mean-token-sum-norm'] as const;
export type LossAggregation = (typeof LOSS_AGGREGATIONS)[number];

export interface AggregationOptions {
  /** C of `seq-mean-token-sum-norm`; default T (the mask's column count). */
  readonly normConstant?: number;
}

/** Checks of an aggregation mode and its options, for any stage that aggregates. */
export const aggregationChecks = (stage: string, mode: string, options: AggregationOptions, field = 'lossAgg'): Check[] => [
  oneOf(stage, field, mode, LOSS_AGGREGATIONS),
  ...(options.normConstant === undefined ? [] : [inRange(stage, 'normConstant', options.normConstant, { min: 0, exclusiveMin: true })]),
];

/** Σ_t mask per row, and the number of rows with at least one valid token. */
export const rowCounts = (mask: Matrix): { readonly perRow: Float64Array; readonly validRows: number } => {
  const perRow = new Float64Array(mask.rows);
  let validRows = 0;
  for (let r = 0; r < mask.rows; r++) {
    let n = 0;
    for (let c = 0; c < mask.cols; c++) n += mask.data[r * mask.cols + c]!;
    perRow[r] = n;
    if (n > 0) validRows++;
  }
  return { perRow, validRows };
};

/** ∂agg/∂loss for every token (unchecked: the mask is 0/1 and the mode valid). */
export const aggregationWeightsUnchecked = (mode: LossAggregation, mask: Matrix, options: AggregationOptions = {}): Matrix => {
  const { rows, cols } = mask;
  const out = new Float64Array(rows * cols);
  const { perRow, validRows } = rowCounts(mask);
  const seqs = Math.max(validRows, 1);
  let total = 0;
  for (const n of perRow) total += n;
  for (let r = 0; r < rows; r++) {
    const n = perRow[r]!;
    const rowWeight =
      mode === 'token-mean'
        ? 1 / Math.max(total, 1)
        : mode === 'seq-mean-token-sum'
          ? 1 / seqs
          : mode === 'seq-mean-token-mean'
            ? n > 0
              ? 1 / (n * seqs)
              : 0
            : 1 / (options.normConstant ?? Math.max(cols, 1));
    for (let c = 0; c < cols; c++) out[r * cols + c] = mask.data[r * cols + c]! * rowWeight;
  }
  return { rows, cols, data: out };
};

/** Σ w·x over all tokens. */
export const weightedSum = (weights: Matrix, x: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < weights.data.length; i++) {
    const w = weights.data[i]!;
    if (w !== 0) s += w * x[i]!;
  }
  return s;
};

/** The per-token weights `∂agg/∂loss` of a mode, validated. */
export const aggregationWeights =
  (mode: LossAggregation, options: AggregationOptions = {}) =>
  (mask: Matrix): E.Either<StageError, Matrix> =>
    guarded([...aggregationChecks('loss.aggregate', mode, options), ...tokenInputChecks('loss.aggregate', [['mask', mask]], mask)], () =>
      aggregationWeightsUnchecked(mode, mask, options),
    );

/** The aggregate of a per-token loss under a mask. */
export const aggregate =
  (mode: LossAggregation, options: AggregationOptions = {}) =>
  (loss: Matrix, mask: Matrix): E.Either<StageError, number> =>
    guarded([...aggregationChecks('loss.aggregate', mode, options), ...tokenInputChecks('loss.aggregate', [['loss', loss]], mask)], () =>
      weightedSum(aggregationWeightsUnchecked(mode, mask, options), loss.data),
    );
