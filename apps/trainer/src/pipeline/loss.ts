/**
 * The per-micro-batch objective of one update (docs/algorithms.md §3, §5, §6, §10):
 *
 *   L = w_pg·agg(l_policy) + w_kl·coef·agg_kl(k(logp, refLogp); DADS weights) + w_papo·PAPO(logp, logp_masked)
 *
 * where l_policy is the configured policy loss (ppo with fixed or per-token AAAC bounds and
 * optional dual clip, gspo or cispo), and each w is the micro-batch's share of its mini-batch
 * under that term's aggregation (tokens for token-mean, sequences with a valid token for the
 * seq-mean modes, 1 for the fixed-constant norm), so that the engine's sum of micro-batch
 * gradients equals the gradient of the whole mini-batch's loss.
 *
 * The closure also records, outside the gradient path, the metrics of the term values.
 */
import * as tf from '@tensorflow/tfjs-core';

import { unwrap, type Batch, type Matrix } from '@rlflow/core';
import type { LossAggregation } from '@rlflow/clipping';
import type { LossFn, LossInputs } from '@rlflow/policy';
import { klLossTensor, papoTensor, tensorPolicyLosses } from '@rlflow/policy/tensor';
import type { TrainConfig } from '../config/index.js';

/** The rows of a [B, T] matrix as a [rows.length, T] float32 tensor. */
const gatherRows = (m: Matrix, rows: readonly number[]): tf.Tensor2D => {
  const out = new Float32Array(rows.length * m.cols);
  rows.forEach((r, i) => out.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), i * m.cols));
  return tf.tensor2d(out, [rows.length, m.cols]);
};

const perRow = (values: ArrayLike<number>, rows: readonly number[]): tf.Tensor2D =>
  tf.tensor2d(Float32Array.from(rows, (r) => values[r]!), [rows.length, 1]);

const maskedTokens = (mask: Matrix, rows: readonly number[]): number => {
  let n = 0;
  for (const r of rows) for (let c = 0; c < mask.cols; c++) n += mask.data[r * mask.cols + c]!;
  return n;
};

const validSequences = (mask: Matrix, rows: readonly number[]): number => rows.filter((r) => maskedTokens(mask, [r]) > 0).length;

/** The micro-batch's share of its mini-batch under an aggregation mode. */
export const microBatchShare = (mode: LossAggregation, mask: Matrix, micro: readonly number[], mini: readonly number[]): number => {
  if (mode === 'seq-mean-token-sum-norm') return 1;
  const [part, whole] =
    mode === 'token-mean' ? [maskedTokens(mask, micro), maskedTokens(mask, mini)] : [validSequences(mask, micro), validSequences(mask, mini)];
  return whole === 0 ? 0 : part / whole;
};

/** Sums of the update's metrics over micro-batches, each weighted by its token share. */
export interface UpdateMetrics {
  pgLoss: number;
  clipFrac: number;
  approxKl: number;
  entropy: number;
  klLoss: number;
  papoLoss: number;
  weight: number;
}

export const emptyUpdateMetrics = (): UpdateMetrics => ({ pgLoss: 0, clipFrac: 0, approxKl: 0, entropy: 0, klLoss: 0, papoLoss: 0, weight: 0 });

export interface LossContext {
  readonly config: TrainConfig;
  /** The shaped batch: advantages, clip bounds and KL weights filled in. */
  readonly batch: Batch;
  /** Reference log-probs [B, T] when the KL term is on. */
  readonly refLogp: Matrix | undefined;
  /** The mini-batch's rows; micro-batch rows from the engine index into `mini`. */
  readonly mini: readonly number[];
  /** Receives the metrics of each micro-batch. */
  readonly metrics: UpdateMetrics;
}

const normConstantOf = (config: TrainConfig, width: number): number => {
  const c = config.algorithm.normConstant;
  return c === 'padded-length' ? width : c === 'max-new-tokens' ? config.rollout.maxNewTokens : c;
};

/** The loss closure handed to `Trainer.step` for one mini-batch. */
export const updateLoss =
  (ctx: LossContext): LossFn =>
  (inputs: LossInputs): tf.Scalar => {
    const { config, batch, refLogp, mini, metrics } = ctx;
    const rows = inputs.rows.map((i) => mini[i]!);
    const width = batch.mask.cols;
    const normConstant = normConstantOf(config, width);
    const mask = gatherRows(batch.mask, rows);
    const oldLogp = gatherRows(batch.oldLogp, rows);
    const advantages = perRow(batch.advantages!, rows);
    const bounds = batch.clipBounds!;
    const epsLow = config.clip.mode === 'aaac' ? gatherRows(bounds.epsLow, rows) : config.clip.epsLow;
    const epsHigh = config.clip.mode === 'aaac' ? gatherRows(bounds.epsHigh, rows) : config.clip.epsHigh;
    const policyLoss = tensorPolicyLosses[config.algorithm.policyLoss];
    const lossAgg = config.algorithm.lossAgg;
    const tokenShare = microBatchShare('token-mean', batch.mask, rows, mini);

    const pg = unwrap(
      policyLoss.tensor({ epsLow, epsHigh, dualClipC: config.clip.dualClipC, lossAgg, normConstant })({
        logp: inputs.logp,
        oldLogp,
        advantages,
        mask,
      }),
    );
    let total: tf.Scalar = tf.mul(pg.loss, microBatchShare(lossAgg, batch.mask, rows, mini));
    const entropy = tf.div(tf.sum(tf.mul(inputs.entropy, mask)), tf.maximum(tf.sum(mask), 1));
    metrics.pgLoss += pg.loss.dataSync()[0]! * tokenShare;
    metrics.clipFrac += pg.clipFrac.dataSync()[0]! * tokenShare;
    metrics.approxKl += pg.approxKl.dataSync()[0]! * tokenShare;
    metrics.entropy += entropy.dataSync()[0]! * tokenShare;
    metrics.weight += tokenShare;

    if (config.kl.coef > 0 && refLogp !== undefined) {
      const seqWeights = config.apo.dads && batch.klWeights !== undefined ? Float64Array.from(rows, (r) => batch.klWeights![r]!) : null;
      const klAgg: LossAggregation = seqWeights === null ? config.kl.lossAgg : 'seq-mean-token-mean';
      const kl = unwrap(
        klLossTensor({ estimator: config.kl.estimator, coef: config.kl.coef, seqWeights, lossAgg: klAgg, normConstant })({
          logp: inputs.logp,
          refLogp: gatherRows(refLogp, rows),
          mask,
        }),
      );
      const klTerm = tf.mul(kl.loss, microBatchShare(klAgg, batch.mask, rows, mini));
      metrics.klLoss += klTerm.dataSync()[0]!;
      total = tf.add(total, klTerm);
    }

    if (config.papo.enabled && inputs.masked !== undefined) {
      const papo = unwrap(
        papoTensor({ gamma: config.papo.gamma, eta: config.papo.eta, lossAgg: 'token-mean' })({
          logp: inputs.logp,
          logpMasked: inputs.masked.logp,
          mask,
        }),
      );
      const papoTerm = tf.mul(papo.loss, tokenShare);
      metrics.papoLoss += papoTerm.dataSync()[0]!;
      total = tf.add(total, papoTerm);
    }
    return total;
  };

export const addUpdateMetrics = (into: UpdateMetrics, from: UpdateMetrics): void => {
  for (const key of Object.keys(into) as (keyof UpdateMetrics)[]) into[key] += from[key];
};

/** Means of the recorded metrics (NaN-free: an update with no tokens reports zeros). */
export const meanUpdateMetrics = (m: UpdateMetrics, updates: number): Omit<UpdateMetrics, 'weight'> => {
  const w = m.weight > 0 ? m.weight : 1;
  const per = updates > 0 ? updates : 1;
  return {
    pgLoss: m.pgLoss / w,
    clipFrac: m.clipFrac / w,
    approxKl: m.approxKl / w,
    entropy: m.entropy / w,
    klLoss: m.klLoss / per,
    papoLoss: m.papoLoss / per,
  };
};

