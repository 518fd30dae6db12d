/**
 * Golden-case checkers for the tensor forms of the clipping stages (docs/algorithms.md, "Golden
 * cases"): `clip.aaac`, `policy.ppo`, `policy.gspo`, `policy.cispo`, `kl.estimators`, `kl.loss`,
 * `loss.aggregate`, the same cases @rlflow/clipping/golden checks against the plain forms, here
 * against the float32 tensor forms to 1e-4 relative or 1e-5 absolute (values, metrics, and
 * ∂loss/∂logp by tfjs autodiff on the cpu backend). Cases are read with clipping's own readers.
 */
import * as tf from '@tensorflow/tfjs-core';
import { toRows, unwrap } from '@rlflow/core';
import { FLOAT32, field, type GoldenRegistry, type VectorCase } from '@rlflow/core/testing';
import { KL_ESTIMATORS, type LossAggregation, type PolicyLossName } from '@rlflow/clipping';
import { aaacParams, compare, klLossParamsOf, lossAggParam, matrixField, policyInput } from '@rlflow/clipping/golden';
import { useCpuBackend } from './cpu-backend.js';
import { matrixFromTensor, toTensor2D } from './convert.js';
import { lossAndGradient } from './evaluate.js';
import { aaacTensor } from './losses/aaac.js';
import { aggregateTensor } from './losses/aggregation.js';
import { klEstimateTensor, klLossTensor } from './losses/kl.js';
import { tensorPolicyLosses } from './losses/policy/registry.js';
import type { PolicyLossTensorParams } from './losses/policy/types.js';

const rowsOf = (data: ArrayLike<number>, rows: number, cols: number): number[][] =>
  Array.from({ length: rows }, (_, r) => Array.from(data).slice(r * cols, (r + 1) * cols));

const checkAaac = async ({ name, params, input, expected }: VectorCase): Promise<void> => {
  const advantages = matrixField(input, 'advantages');
  await useCpuBackend();
  tf.tidy(() => {
    const bounds = unwrap(aaacTensor(aaacParams(params))(toTensor2D(advantages)));
    const actual = { epsLow: toRows(matrixFromTensor(bounds.epsLow as tf.Tensor2D)), epsHigh: toRows(matrixFromTensor(bounds.epsHigh as tf.Tensor2D)) };
    compare(actual, expected, FLOAT32, `${name} (tensor)`);
  });
};

const checkPolicy =
  (loss: PolicyLossName) =>
  async ({ name, params, input, expected }: VectorCase): Promise<void> => {
    const { tensor } = tensorPolicyLosses[loss];
    const x = policyInput(input);
    const clip = params['clip'] === undefined ? 'fixed' : field.string(params, 'clip');
    const common = { dualClipC: field.numberOrNull(params, 'dualClipC'), lossAgg: lossAggParam(params) };
    await useCpuBackend();
    tf.tidy(() => {
      const advantages = toTensor2D(x.advantages);
      const bounds = clip === 'aaac' ? unwrap(aaacTensor(aaacParams(params))(advantages)) : { epsLow: field.number(params, 'epsLow'), epsHigh: field.number(params, 'epsHigh') };
      const tensorParams: PolicyLossTensorParams = { ...common, epsLow: bounds.epsLow, epsHigh: bounds.epsHigh };
      const inputs = { oldLogp: toTensor2D(x.oldLogp), advantages, mask: toTensor2D(x.mask) };
      const evaluated = unwrap(lossAndGradient((logp) => tensor(tensorParams)({ ...inputs, logp }))(toTensor2D(x.logp)));
      compare({ ...evaluated.values, gradLogp: rowsOf(evaluated.gradLogp, x.logp.rows, x.logp.cols) }, expected, FLOAT32, `${name} (tensor)`);
    });
  };

const checkKlEstimators = async ({ name, input, expected }: VectorCase): Promise<void> => {
  const logp = matrixField(input, 'logp');
  const refLogp = matrixField(input, 'refLogp');
  await useCpuBackend();
  tf.tidy(() => {
    const [lp, ref] = [toTensor2D(logp), toTensor2D(refLogp)];
    const actual = Object.fromEntries(KL_ESTIMATORS.map((k) => [k, toRows(matrixFromTensor(unwrap(klEstimateTensor(k)(lp, ref))))]));
    compare(actual, expected, FLOAT32, `${name} (tensor)`);
  });
};

const checkKlLoss = async ({ name, params, input, expected }: VectorCase): Promise<void> => {
  const p = klLossParamsOf(params);
  const x = { logp: matrixField(input, 'logp'), refLogp: matrixField(input, 'refLogp'), mask: matrixField(input, 'mask') };
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
  await useCpuBackend();
  tf.tidy(() => {
    const [l, m] = [toTensor2D(loss), toTensor2D(mask)];
    const actual = Object.fromEntries(modes.map((mode) => [mode, unwrap(aggregateTensor(mode, { normConstant })(l, m)).dataSync()[0]]));
    compare(actual, expected, FLOAT32, `${name} (tensor)`);
  });
};

export const tensorGolden: GoldenRegistry = {
  'clip.aaac': checkAaac,
  'policy.ppo': checkPolicy('ppo'),
  'policy.gspo': checkPolicy('gspo'),
  'policy.cispo': checkPolicy('cispo'),
  'kl.estimators': checkKlEstimators,
  'kl.loss': checkKlLoss,
  'loss.aggregate': checkAggregate,
};
