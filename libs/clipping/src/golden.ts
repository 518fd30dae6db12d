/**
 * Golden-case checkers for the clipping stages (docs/algorithms.md, "Golden cases"): `clip.aaac`,
 * `policy.ppo`, `policy.gspo`, `policy.cispo`, `kl.estimators`, `kl.loss`, `loss.aggregate`,
 * against the plain float64 forms to 1e-9 (values, metrics and the analytic ∂loss/∂logp). The
 * float32 tensor forms are checked against the same cases by @rlflow/policy/tensor/golden.
 * The field readers are exported for that registry, so both read a case the same way.
 */
import { fromRows, toRows, unwrap, type Matrix } from '@rlflow/core';
import { PLAIN, assertClose, field, type GoldenRegistry, type Tolerance, type VectorCase } from '@rlflow/core/testing';
import { aaac, type AaacParams } from './aaac.js';
import { aggregate, type LossAggregation } from './aggregation.js';
import { KL_ESTIMATORS, klEstimators, klLoss, type KlEstimator, type KlLossParams } from './kl.js';
import { policyLosses } from './policy/registry.js';
import type { PolicyLossName, PolicyLossParams } from './policy/types.js';

export type Fields = Readonly<Record<string, unknown>>;

export const matrixField = (record: Fields, key: string): Matrix => unwrap(fromRows('golden', key, field.matrix(record, key)));

/** Compares every field of `expected` with the same field of `actual`. */
export const compare = (actual: Fields, expected: Fields, tol: Tolerance, label: string): void => {
  for (const key of Object.keys(expected)) assertClose(actual[key], expected[key], tol, `${label}.${key}`);
};

export const aaacParams = (params: Fields): AaacParams => ({
  epsLow0: field.number(params, 'epsLow0'),
  epsHigh0: field.number(params, 'epsHigh0'),
  deltaLow: field.number(params, 'deltaLow'),
  deltaHigh: field.number(params, 'deltaHigh'),
  kappa: field.number(params, 'kappa'),
});

const checkAaac = ({ name, params, input, expected }: VectorCase): void => {
  const p = aaacParams(params);
  const advantages = matrixField(input, 'advantages');
  const plain = unwrap(aaac(p)(advantages));
  compare({ epsLow: toRows(plain.epsLow), epsHigh: toRows(plain.epsHigh) }, expected, PLAIN, `${name} (plain)`);
};

export const policyInput = (input: Fields) => ({
  logp: matrixField(input, 'logp'),
  oldLogp: matrixField(input, 'oldLogp'),
  advantages: matrixField(input, 'advantages'),
  mask: matrixField(input, 'mask'),
});

export const lossAggParam = (params: Fields, key = 'lossAgg'): LossAggregation | undefined =>
  params[key] === undefined || params[key] === null ? undefined : (field.string(params, key) as LossAggregation);

const checkPolicy =
  (loss: PolicyLossName) =>
  ({ name, params, input, expected }: VectorCase): void => {
    const { plain } = policyLosses[loss];
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
  };

const checkKlEstimators = ({ name, input, expected }: VectorCase): void => {
  const logp = matrixField(input, 'logp');
  const refLogp = matrixField(input, 'refLogp');
  const plain = unwrap(klEstimators(logp, refLogp));
  compare(Object.fromEntries(KL_ESTIMATORS.map((k) => [k, toRows(plain[k])])), expected, PLAIN, `${name} (plain)`);
};

export const klLossParamsOf = (params: Fields): KlLossParams => ({
  estimator: field.string(params, 'estimator') as KlEstimator,
  coef: field.number(params, 'coef'),
  seqWeights: field.vectorOrNull(params, 'seqWeights'),
});

const checkKlLoss = ({ name, params, input, expected }: VectorCase): void => {
  const p = klLossParamsOf(params);
  const x = { logp: matrixField(input, 'logp'), refLogp: matrixField(input, 'refLogp'), mask: matrixField(input, 'mask') };
  const result = unwrap(klLoss(p)(x));
  compare({ loss: result.loss, gradLogp: toRows(result.gradLogp) }, expected, PLAIN, `${name} (plain)`);
};

const checkAggregate = ({ name, params, input, expected }: VectorCase): void => {
  const normConstant = field.numberOrNull(params, 'normConstant') ?? undefined;
  const loss = matrixField(input, 'loss');
  const mask = matrixField(input, 'mask');
  const modes = Object.keys(expected) as LossAggregation[];
  const plain = Object.fromEntries(modes.map((mode) => [mode, unwrap(aggregate(mode, { normConstant })(loss, mask))]));
  compare(plain, expected, PLAIN, `${name} (plain)`);
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
