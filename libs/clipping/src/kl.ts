/**
 * KL estimators (per token, estimates of KL(π_θ ‖ π_ref)) and the KL loss term.
 *
 *   k1  = logp − refLogp
 *   abs = |logp − refLogp|
 *   k2  = ½ (logp − refLogp)²
 *   k3  ("low_var_kl"): δ = clamp(refLogp − logp, −20, 20), k3 = clamp(e^δ − δ − 1, −10, 10)
 *
 *   klLoss = coef · agg(k(logp, refLogp))                  (agg = token-mean by default)
 *   klLoss = coef · mean_i( w_i · Σ_t mask·k / Σ_t mask )  (per-sequence weights w_i, APO DADS)
 *
 * the weighted mean taken over sequences with at least one valid token, 0 when there are none.
 * Weighted, the aggregation defaults to `seq-mean-token-mean` (which is that formula); any
 * other mode aggregates `w_i · k`. `gradLogp` is ∂klLoss/∂logp: k1 → 1, abs → sign(d) (0 at 0),
 * k2 → d, k3 → −(e^δ − 1) where neither clamp is active, else 0. e^δ − 1 is computed as
 * expm1(δ) so k3 keeps its precision for small δ.
 *
 * Reference: docs/algorithms.md §2 and §6 (Schulman, "Approximating KL divergence", 2020; verl
 * `core_algos.kl_penalty`).
 */
import * as E from 'fp-ts/lib/Either.js';
import { StageError, allFinite, guarded, inRange, type Check, type Matrix } from '@rlflow/core';
import { aggregationChecks, aggregationWeightsUnchecked, weightedSum, type AggregationOptions, type LossAggregation } from './aggregation.js';
import { oneOf, perRowLength, tokenInputChecks } from './validation.js';

export const KL_ESTIMATORS = ['k1', 'abs', 'k2', 'k3'] as const;
export type KlEstimator = (typeof KL_ESTIMATORS)[number];

/** One token's estimate and its derivative with respect to logp. */
export const klTerm = (estimator: KlEstimator, logp: number, refLogp: number): { readonly value: number; readonly dLogp: number } => {
  const d = logp - refLogp;
  switch (estimator) {
    case 'k1':
      return { value: d, dLogp: 1 };
    case 'abs':
      return { value: Math.abs(d), dLogp: Math.sign(d) };
    case 'k2':
      return { value: 0.5 * d * d, dLogp: d };
    case 'k3': {
      const raw = refLogp - logp;
      const delta = Math.min(Math.max(raw, -20), 20);
      const em1 = Math.expm1(delta);
      const v = em1 - delta;
      const value = Math.min(Math.max(v, -10), 10);
      const passes = raw >= -20 && raw <= 20 && v >= -10 && v <= 10;
      return { value, dLogp: passes ? -em1 : 0 };
    }
  }
};

const mapTokens = (logp: Matrix, refLogp: Matrix, f: (lp: number, ref: number) => number): Matrix => {
  const data = new Float64Array(logp.data.length);
  for (let i = 0; i < data.length; i++) data[i] = f(logp.data[i]!, refLogp.data[i]!);
  return { rows: logp.rows, cols: logp.cols, data };
};

/** One estimator over [B, T] log-probs. */
export const klEstimate =
  (estimator: KlEstimator) =>
  (logp: Matrix, refLogp: Matrix): E.Either<StageError, Matrix> =>
    guarded(
      [
        oneOf('kl.estimators', 'estimator', estimator, KL_ESTIMATORS),
        ...tokenInputChecks('kl.estimators', [
          ['logp', logp],
          ['refLogp', refLogp],
        ]),
      ],
      () => mapTokens(logp, refLogp, (lp, ref) => klTerm(estimator, lp, ref).value),
    );

/** All four estimators over [B, T] log-probs. */
export const klEstimators = (logp: Matrix, refLogp: Matrix): E.Either<StageError, Readonly<Record<KlEstimator, Matrix>>> =>
  guarded(
    tokenInputChecks('kl.estimators', [
      ['logp', logp],
      ['refLogp', refLogp],
    ]),
    () => ({
      k1: mapTokens(logp, refLogp, (lp, ref) => klTerm('k1', lp, ref).value),
      abs: mapTokens(logp, refLogp, (lp, ref) => klTerm('abs', lp, ref).value),
      k2: mapTokens(logp, refLogp, (lp, ref) => klTerm('k2', lp, ref).value),
      k3: mapTokens(logp, refLogp, (lp, ref) => klTerm('k3', lp, ref).value),
    }),
  );

export interface KlLossParams extends AggregationOptions {
  readonly estimator: KlEstimator;
  readonly coef: number;
  /** Per-sequence weights w_i ≥ 0, [B] (APO DADS); null or absent: unweighted. */
  readonly seqWeights?: ArrayLike<number> | null;
  /** Default `token-mean`, or `seq-mean-token-mean` with seqWeights. */
  readonly lossAgg?: LossAggregation;
}

export interface KlLossInput {
  readonly logp: Matrix;
  readonly refLogp: Matrix;
  readonly mask: Matrix;
}

export interface KlLossResult {
  readonly loss: number;
  readonly gradLogp: Matrix;
}

export const klLossAggregation = (params: KlLossParams): LossAggregation =>
  params.lossAgg ?? (params.seqWeights == null ? 'token-mean' : 'seq-mean-token-mean');

const nonNegative =
  (stage: string, field: string, xs: ArrayLike<number>): Check =>
  () => {
    for (let i = 0; i < xs.length; i++) if (xs[i]! < 0) return new StageError(stage, field, i, 'negative', `is ${xs[i]}, expected a weight ≥ 0`);
    return undefined;
  };

/** Checks of the KL loss parameters against a [B, T] reference shape. */
export const klLossParamChecks = (stage: string, params: KlLossParams, ref: { readonly rows: number }): Check[] => [
  oneOf(stage, 'estimator', params.estimator, KL_ESTIMATORS),
  inRange(stage, 'coef', params.coef, { min: 0 }),
  ...aggregationChecks(stage, klLossAggregation(params), params),
  ...(params.seqWeights == null
    ? []
    : [
        perRowLength(stage, 'seqWeights', params.seqWeights, 'logp', ref),
        allFinite(stage, 'seqWeights', params.seqWeights),
        nonNegative(stage, 'seqWeights', params.seqWeights),
      ]),
];

/** ∂klLoss/∂k per token: coef · w_i · ∂agg/∂loss. */
export const klLossWeights = (params: KlLossParams, mask: Matrix): Matrix => {
  const agg = aggregationWeightsUnchecked(klLossAggregation(params), mask, params);
  const { seqWeights } = params;
  const data = new Float64Array(agg.data.length);
  for (let r = 0; r < mask.rows; r++) {
    const w = params.coef * (seqWeights == null ? 1 : seqWeights[r]!);
    for (let c = 0; c < mask.cols; c++) data[r * mask.cols + c] = w * agg.data[r * mask.cols + c]!;
  }
  return { rows: mask.rows, cols: mask.cols, data };
};

/** The KL loss term and its analytic gradient with respect to logp (float64 reference). */
export const klLoss =
  (params: KlLossParams) =>
  ({ logp, refLogp, mask }: KlLossInput): E.Either<StageError, KlLossResult> =>
    guarded(
      [
        ...tokenInputChecks(
          'kl.loss',
          [
            ['logp', logp],
            ['refLogp', refLogp],
          ],
          mask,
        ),
        ...klLossParamChecks('kl.loss', params, logp),
      ],
      () => {
        const weights = klLossWeights(params, mask);
        const values = new Float64Array(logp.data.length);
        const grad = new Float64Array(logp.data.length);
        for (let i = 0; i < values.length; i++) {
          const term = klTerm(params.estimator, logp.data[i]!, refLogp.data[i]!);
          values[i] = term.value;
          grad[i] = weights.data[i]! * term.dLogp;
        }
        return { loss: weightedSum(weights, values), gradLogp: { rows: logp.rows, cols: logp.cols, data: grad } };
      },
    );
