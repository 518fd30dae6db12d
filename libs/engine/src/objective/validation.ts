/**
 * Checks of the objective's config and of one mini-batch's input (docs/algorithms.md §11). Every
 * failure is a StageError of stage `objective` naming the field (`kl.coef`, `refLogp`, …) and the
 * index of the first offending value: `[row, col]` in a matrix, the position in a per-sequence
 * vector. Input checks run in the order presence, shapes, values, so a missing or mis-shaped
 * field is reported before any value is read.
 */
import {
  StageError,
  allFinite,
  inRange,
  matrixBinary,
  matrixFinite,
  sameLength,
  sameShape,
  type Check,
  type ErrorIndex,
  type Matrix,
} from '@rlflow/core';
import {
  EPS_HIGH_RANGE,
  EPS_LOW_RANGE,
  KL_ESTIMATORS,
  LOSS_AGGREGATIONS,
  POLICY_LOSS_NAMES,
  policyLosses,
  type PolicyLossName,
} from '@rlflow/clipping';
import type { ObjectiveConfig, ObjectiveInput } from './types.js';

export const OBJECTIVE_STAGE = 'objective';
const stage = OBJECTIVE_STAGE;

const oneOf =
  (field: string, value: unknown, allowed: readonly string[]): Check =>
  () =>
    typeof value === 'string' && allowed.includes(value)
      ? undefined
      : new StageError(stage, field, null, 'invalid', `is ${JSON.stringify(value)}, expected one of ${allowed.map((a) => `"${a}"`).join(', ')}`);

const isBoolean =
  (field: string, value: unknown): Check =>
  () =>
    typeof value === 'boolean' ? undefined : new StageError(stage, field, null, 'invalid', `is ${JSON.stringify(value)}, expected true or false`);

const isPolicyLossName = (name: unknown): name is PolicyLossName => typeof name === 'string' && (POLICY_LOSS_NAMES as readonly string[]).includes(name);

const dualClipCheck =
  (config: ObjectiveConfig): Check =>
  () => {
    const c = config.dualClipC;
    if (c === null) return undefined;
    if (isPolicyLossName(config.policyLoss) && !policyLosses[config.policyLoss].dualClip) {
      return new StageError(stage, 'dualClipC', null, 'invalid', `is ${c}, but dual clip applies to ppo only (use null with ${config.policyLoss})`);
    }
    return inRange(stage, 'dualClipC', c, { min: 1, exclusiveMin: true })();
  };

/** The config's checks: names from the registries, coefficients finite and ≥ 0, C > 0, c null or > 1 (ppo only). */
export const configChecks = (config: ObjectiveConfig): Check[] => [
  oneOf('policyLoss', config.policyLoss, POLICY_LOSS_NAMES),
  oneOf('lossAgg', config.lossAgg, LOSS_AGGREGATIONS),
  inRange(stage, 'normConstant', config.normConstant, { min: 0, exclusiveMin: true }),
  dualClipCheck(config),
  inRange(stage, 'kl.coef', config.kl.coef, { min: 0 }),
  oneOf('kl.estimator', config.kl.estimator, KL_ESTIMATORS),
  oneOf('kl.lossAgg', config.kl.lossAgg, LOSS_AGGREGATIONS),
  isBoolean('kl.sequenceWeights', config.kl.sequenceWeights),
  ...(config.papo === null
    ? []
    : [
        inRange(stage, 'papo.gamma', config.papo.gamma, { min: 0 }),
        inRange(stage, 'papo.eta', config.papo.eta, { min: 0 }),
        oneOf('papo.lossAgg', config.papo.lossAgg, LOSS_AGGREGATIONS),
      ]),
  inRange(stage, 'entropy.coef', config.entropy.coef, { min: 0 }),
  oneOf('entropy.lossAgg', config.entropy.lossAgg, LOSS_AGGREGATIONS),
];

/** Which optional inputs the configured terms read. */
export const requiredInputs = (config: ObjectiveConfig) => ({
  refLogp: config.kl.coef !== 0,
  klWeights: config.kl.coef !== 0 && config.kl.sequenceWeights,
  maskedLogp: config.papo !== null,
  entropy: config.entropy.coef !== 0,
});

const REQUIRED_WHEN = {
  logp: 'always',
  oldLogp: 'always',
  mask: 'always',
  advantages: 'always',
  epsLow: 'always',
  epsHigh: 'always',
  refLogp: 'kl.coef > 0',
  klWeights: 'kl.coef > 0 and kl.sequenceWeights',
  maskedLogp: 'papo is on',
  entropy: 'entropy.coef > 0',
} as const;

const present =
  (field: keyof typeof REQUIRED_WHEN, value: unknown): Check =>
  () =>
    value !== undefined && value !== null
      ? undefined
      : new StageError(stage, field, null, 'invalid', REQUIRED_WHEN[field] === 'always' ? 'is missing' : `is missing; it is required when ${REQUIRED_WHEN[field]}`);

/** A matrix whose data holds exactly rows × cols values. */
const wellFormed =
  (field: string, m: Matrix): Check =>
  () =>
    Number.isInteger(m.rows) && Number.isInteger(m.cols) && m.rows >= 0 && m.cols >= 0 && m.data.length === m.rows * m.cols
      ? undefined
      : new StageError(stage, field, null, 'length-mismatch', `holds ${m.data.length} values for a [${m.rows}, ${m.cols}] matrix`);

const matrixInRange =
  (field: string, m: Matrix, range: { readonly min?: number; readonly max?: number }): Check =>
  () => {
    const min = range.min ?? Number.NEGATIVE_INFINITY;
    const max = range.max ?? Number.POSITIVE_INFINITY;
    for (let i = 0; i < m.data.length; i++) {
      const x = m.data[i]!;
      if (!(x >= min && x <= max) || !Number.isFinite(x)) {
        return new StageError(stage, field, [Math.floor(i / m.cols), i % m.cols], 'out-of-range', `is ${x}, expected a number in [${range.min ?? '-inf'}, ${range.max ?? 'inf'}]`);
      }
    }
    return undefined;
  };

const nonNegative =
  (field: string, xs: ArrayLike<number>): Check =>
  () => {
    for (let i = 0; i < xs.length; i++) if (xs[i]! < 0) return new StageError(stage, field, i, 'negative', `is ${xs[i]}, expected a weight ≥ 0`);
    return undefined;
  };

/**
 * The input's checks for a config: the fields its terms need are present; every matrix given
 * (the mask too) is [B, T] like `logp`, and `advantages`, `klWeights` have B entries; then the
 * mask is 0/1, every value is finite, the clip bounds lie in their ranges and the KL weights
 * are ≥ 0. Optional fields that are given are checked even when no term reads them.
 */
export const inputChecks = (config: ObjectiveConfig, input: ObjectiveInput): Check[] => {
  const need = requiredInputs(config);
  const { mask } = input;
  const tokenFields: ReadonlyArray<readonly [string, Matrix | undefined]> = [
    ['logp', input.logp],
    ['oldLogp', input.oldLogp],
    ['refLogp', input.refLogp],
    ['maskedLogp', input.maskedLogp],
    ['entropy', input.entropy],
    ['epsLow', typeof input.epsLow === 'number' ? undefined : input.epsLow],
    ['epsHigh', typeof input.epsHigh === 'number' ? undefined : input.epsHigh],
  ];
  const given = tokenFields.filter((entry): entry is readonly [string, Matrix] => entry[1] !== undefined && entry[1] !== null);
  return [
    present('logp', input.logp),
    present('oldLogp', input.oldLogp),
    present('mask', input.mask),
    present('advantages', input.advantages),
    present('epsLow', input.epsLow),
    present('epsHigh', input.epsHigh),
    ...(need.refLogp ? [present('refLogp', input.refLogp)] : []),
    ...(need.klWeights ? [present('klWeights', input.klWeights)] : []),
    ...(need.maskedLogp ? [present('maskedLogp', input.maskedLogp)] : []),
    ...(need.entropy ? [present('entropy', input.entropy)] : []),
    ...given.map(([name, m]) => wellFormed(name, m)),
    wellFormed('mask', mask),
    ...given.filter(([name]) => name !== 'logp').map(([name, m]) => sameShape(stage, name, m, 'logp', input.logp)),
    sameShape(stage, 'mask', mask, 'logp', input.logp),
    () => sameLength(stage, 'advantages', input.advantages, 'the rows of logp', input.logp.rows)(),
    ...(input.klWeights == null ? [] : [() => sameLength(stage, 'klWeights', input.klWeights!, 'the rows of logp', input.logp.rows)()]),
    matrixBinary(stage, 'mask', mask),
    ...given.filter(([name]) => name !== 'epsLow' && name !== 'epsHigh').map(([name, m]) => matrixFinite(stage, name, m)),
    allFinite(stage, 'advantages', input.advantages),
    ...(input.klWeights == null ? [] : [allFinite(stage, 'klWeights', input.klWeights), nonNegative('klWeights', input.klWeights)]),
    typeof input.epsLow === 'number' ? inRange(stage, 'epsLow', input.epsLow, EPS_LOW_RANGE) : matrixInRange('epsLow', input.epsLow, EPS_LOW_RANGE),
    typeof input.epsHigh === 'number' ? inRange(stage, 'epsHigh', input.epsHigh, EPS_HIGH_RANGE) : matrixInRange('epsHigh', input.epsHigh, EPS_HIGH_RANGE),
  ];
};

const overflow = (field: string, index: ErrorIndex, x: number): StageError =>
  new StageError(stage, field, index, 'not-finite', `is ${x} although every input is finite (an overflow)`);

/** The output is finite: finite inputs can still overflow (a huge advantage times e^20). */
export const finiteOutputChecks = (
  scalars: ReadonlyArray<readonly [string, number | null]>,
  gradients: ReadonlyArray<readonly [string, Matrix | null]>,
): Check[] => [
  ...scalars.map(([field, x]): Check => () => (x === null || Number.isFinite(x) ? undefined : overflow(field, null, x))),
  ...gradients.map(
    ([field, m]): Check =>
      () => {
        if (m === null) return undefined;
        for (let i = 0; i < m.data.length; i++) {
          const x = m.data[i]!;
          if (!Number.isFinite(x)) return overflow(field, [Math.floor(i / m.cols), i % m.cols], x);
        }
        return undefined;
      },
  ),
];
