/**
 * Golden-case checkers for the clipping stages (docs/algorithms.md, "Golden cases"): `clip.aaac`,
 * `policy.ppo`, `policy.gspo`, `policy.cispo`, `kl.estimators`, `kl.loss`, `loss.aggregate`.
 * Each case is checked twice: the plain float64 form to 1e-9 (values and the analytic
 * ∂loss/∂logp), and the float32 tensor form to 1e-4 relative or 1e-5 absolute (values, metrics,
 * and ∂loss/∂logp by tfjs autodiff on the cpu backend).
 */
import * as tf from '@tensorflow/tfjs-core';
import { fromRows, toRows, unwrap, type Matrix } from '@rlflow/core';
import { FLOAT32, PLAIN, assertClose, field, type GoldenRegistry, type Tolerance, type VectorCase } from '@rlflow/core/testing';
import { aaac, type AaacParams } from './aaac.js';
import { aaacTensor } from './aaac.tensor.js';
import { aggregate, type LossAggregation } from './aggregation.js';
import { aggregateTensor } from './aggregation.tensor.js';
import { useCpuBackend } from './cpu-backend.js';
import { KL_ESTIMATORS, klEstimators, klLoss, type KlEstimator, type KlLossParams } from './kl.js';
import { klEstimateTensor, klLossTensor } from './kl.tensor.js';
import { policyLosses } from './policy/registry.js';
import type { PolicyLossName, PolicyLossParams, PolicyLossTensorParams } from './policy/types.js';
import { matrixFromTensor, toTensor2D } from './tensor/convert.js';
import { lossAndGradient } from './tensor/evaluate.js';

type Fields = Readonly<Record<string, unknown>>;

const matrixField = (record: Fields, key: string): Matrix => unwrap(fromRows('golden', key, field.matrix(record, key)));

const rowsOf = (data: ArrayLike<number>, rows: number, cols: number): number[][] =>
  Array.from({ length: rows }, (_, r) => Array.from(data).slice(r * cols, (r + 1) * cols));

/** Compares every field of `expected` with the same field of `actual`. */
const compare = (actual: Fields, expected: Fields, tol: Tolerance, label: string): void => {
  for (const key of Object.keys(expected)) assertClose(actual[key], expected[key], tol, `${label}.${key}`);
};

const aaacParams = (params: Fields): AaacParams => ({
  epsLow0: field.number(params, 'epsLow0'),
  epsHigh0: field.number(params, 'epsHigh0'),
  deltaLow: field.number(params, 'deltaLow'),
  deltaHigh: field.number(params, 'deltaHigh'),
  kappa: field.number(params, 'kappa'),
});

const checkAaac = async ({ name, params, input, expected }: VectorCase): Promise<void> => {
  const p = aaacParams(params);
  const advantages = matrixField(input, 'advantages');
  const plain = unwrap(aaac(p)(advantages));
  compare({ epsLow: toRows(plain.epsLow), epsHigh: toRows(plain.epsHigh) }, expected, PLAIN, `${name} (plain)`);
  await useCpuBackend();
  tf.tidy(() => {
    const bounds = unwrap(aaacTensor(p)(toTensor2D(advantages)));
    const actual = { epsLow: toRows(matrixFromTensor(bounds.epsLow as tf.Tensor2D)), epsHigh: toRows(matrixFromTensor(bounds.epsHigh as tf.Tensor2D)) };
    compare(actual, expected, FLOAT32, `${name} (tensor)`);
  });
};

const policyInput = (input: Fields) => ({
  logp: matrixField(input, 'logp'),
  oldLogp: matrixField(input, 'oldLogp'),
  advantages: matrixField(input, 'advantages'),
  mask: matrixField(input, 'mask'),
});

const lossAggParam = (params: Fields, key = 'lossAgg'): LossAggregation | undefined =>
  params[key] === undefined || params[key] === null ? undefined : (field.string(params, key) as LossAggregation);

const checkPolicy =
  (loss: PolicyLossName) =>
  async ({ name, params, input, expected }: VectorCase): Promise<void> => {
    const { plain, tensor } = policyLosses[loss];
    const x = policyInput(input);
    const clip = params['clip'] === undefined ? 'fixed' : field.string(params, 'clip');
    const bounds =
      clip === 'aaac'
        ? unwrap(aaac(aaacParams(params))(x.advantages))
        : { epsLow: field.number(params, 'epsLow'), epsHigh: field.number(params, 'epsHigh') };
    const common = { dualClipC: field.numberOrNull(params, 'dualClipC'), lossAgg: lossAggParam(params) };
    const plainParams: PolicyLossParams = { ...common, epsLow: bounds.epsLow, epsHigh: bounds.epsHigh };
    const result = unwrap(plain(plainParams)(x));
    compare({ ...result, gradLogp: toRows(result.gradLogp) }, expected, PLAIN, `${name} (plain)`);

    await useCpuBackend();
    tf.tidy(() => {
      const advantages = toTensor2D(x.advantages);
      const tensorBounds = clip === 'aaac' ? unwrap(aaacTensor(aaacParams(params))(advantages)) : { epsLow: bounds.epsLow as number, epsHigh: bounds.epsHigh as number };
      const tensorParams: PolicyLossTensorParams = { ...common, epsLow: tensorBounds.epsLow, epsHigh: tensorBounds.epsHigh };
      const inputs = { oldLogp: toTensor2D(x.oldLogp), advantages, mask: toTensor2D(x.mask) };
      const evaluated = unwrap(lossAndGradient((logp) => tensor(tensorParams)({ ...inputs, logp }))(toTensor2D(x.logp)));
      compare({ ...evaluated.values, gradLogp: rowsOf(evaluated.gradLogp, x.logp.rows, x.logp.cols) }, expected, FLOAT32, `${name} (tensor)`);
    });
  };

const checkKlEstimators = async ({ name, input, expected }: VectorCase): Promise<void> => {
  const logp = matrixField(input, 'logp');
  const refLogp = matrixField(input, 'refLogp');
  const plain = unwrap(klEstimators(logp, refLogp));
  compare(Object.fromEntries(KL_ESTIMATORS.map((k) => [k, toRows(plain[k])])), expected, PLAIN, `${name} (plain)`);
  await useCpuBackend();
  tf.tidy(() => {
    const [lp, ref] = [toTensor2D(logp), toTensor2D(refLogp)];
    const actual = Object.fromEntries(KL_ESTIMATORS.map((k) => [k, toRows(matrixFromTensor(unwrap(klEstimateTensor(k)(lp, ref))))]));
    compare(actual, expected, FLOAT32, `${name} (tensor)`);
  });
};

const checkKlLoss = async ({ name, params, input, expected }: VectorCase): Promise<void> => {
  const p: KlLossParams = {
    estimator: field.string(params, 'estimator') as KlEstimator,
    coef: field.number(params, 'coef'),
    seqWeights: field.vectorOrNull(params, 'seqWeights'),
  };
  const x = { logp: matrixField(input, 'logp'), refLogp: matrixField(input, 'refLogp'), mask: matrixField(input, 'mask') };
  const result = unwrap(klLoss(p)(x));
  compare({ loss: result.loss, gradLogp: toRows(result.gradLogp) }, expected, PLAIN, `${name} (plain)`);
  await useCpuBackend();
  tf.tidy(() => {
    const inputs = { refLogp: toTensor2D(x.refLogp), mask: toTensor2D(x.mask) };
    const evaluated = unwrap(lossAndGradient((logp) => klLossTensor(p)({ ...inputs, logp }))(toTensor2D(x.logp)));
    compare({ ...evaluated.values, gradLogp: rowsOf(evaluated.gradLogp, x.logp.rows, x.logp.cols) }, expected, FLOAT32, `${name} (tensor)`);
  });
};

const checkAggregate = async ({ name, params, input, expected }: VectorCase): Promise<void> => {
  const normConstant = field.numberOrNull(params, 'normConstant') ?? undefined;
  const loss = matrixField(input, 'loss');
  const mask = matrixField(input, 'mask');
  const modes = Object.keys(expected) as LossAggregation[];
  const plain = Object.fromEntries(modes.map((mode) => [mode, unwrap(aggregate(mode, { normConstant })(loss, mask))]));
  compare(plain, expected, PLAIN, `${name} (plain)`);
  await useCpuBackend();
  tf.tidy(() => {
    const [l, m] = [toTensor2D(loss), toTensor2D(mask)];
    const actual = Object.fromEntries(modes.map((mode) => [mode, unwrap(aggregateTensor(mode, { normConstant })(l, m)).dataSync()[0]]));
    compare(actual, expected, FLOAT32, `${name} (tensor)`);
  });
};

export const golden: GoldenRegistry = {
  'clip.aaac': checkAaac,
  'policy.ppo': checkPolicy('ppo'),
  'policy.gspo': checkPolicy('gspo'),
  'policy.cispo': checkPolicy('cispo'),
  'kl.estimators': checkKlEstimators,
  'kl.loss': checkKlLoss,
  'loss.aggregate': checkAggregate,
};
