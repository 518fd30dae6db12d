import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { matrix } from '@rlflow/core';
import { buildObjective } from '../objective/objective.js';
import { objectiveCaseArb, objectiveConfigArb } from '../objective/arbitraries.js';
import type { ObjectiveConfig, ObjectiveInput } from '../objective/types.js';
import { builtinLossPlan, builtinLossSum, builtinTokenLoss, decideBuiltinLoss, ratioClampCorrection, type ClipBoundsSpec } from './builtin-loss.js';

const scalarSpec = (input: ObjectiveInput): ClipBoundsSpec => ({ kind: 'scalar', epsLow: input.epsLow as number, epsHigh: input.epsHigh as number });

const exactConfig = (config: ObjectiveConfig): ObjectiveConfig => ({
  ...config,
  policyLoss: config.policyLoss === 'gspo' ? 'ppo' : config.policyLoss,
  dualClipC: null,
  kl: { ...config.kl, coef: 0 },
  papo: null,
  entropy: { ...config.entropy, coef: 0 },
});

const objectiveOf = (config: ObjectiveConfig) => {
  const built = buildObjective(config);
  if (E.isLeft(built)) throw built.left;
  return built.right;
};

/** PPO-clip, token-mean over a constant of 2 tokens, no KL, no PAPO, no entropy bonus: a built-in `ppo` loss exactly. */
const TOKEN_MEAN_PPO: ObjectiveConfig = {
    policyLoss: 'ppo',
    lossAgg: 'token-mean',
    normConstant: 2,
    dualClipC: null,
    kl: { coef: 0, estimator: 'k3', lossAgg: 'token-mean', sequenceWeights: false },
    papo: null,
    entropy: { coef: 0, lossAgg: 'token-mean' },
};

describe('decideBuiltinLoss', () => {
  it('takes a built-in loss exactly when the config allows it, and names the first reason otherwise', () => {
    fc.assert(
      fc.property(objectiveConfigArb(), (config) => {
        const plan = builtinLossPlan({ objective: config, clip: { kind: 'scalar', epsLow: 0.2, epsHigh: 0.28 } });
        const allowed = config.policyLoss !== 'gspo' && config.dualClipC === null && config.kl.coef === 0 && config.entropy.coef === 0 && config.papo === null;
        expect(E.isRight(plan)).toBe(allowed);
        if (E.isRight(plan)) {
          expect(plan.right.loss).toBe(config.policyLoss);
          expect(plan.right.thresholds).toEqual({ clipLow: 1 - 0.2, clipHigh: 1 + 0.28 });
        } else {
          const expected =
            config.policyLoss === 'gspo' ? 'policy-loss' : config.dualClipC !== null ? 'dual-clip' : config.kl.coef !== 0 ? 'kl-term' : config.entropy.coef !== 0 ? 'entropy-bonus' : 'masked-view';
          expect(plan.left.reason).toBe(expected);
        }
        const perToken = builtinLossPlan({ objective: exactConfig(config), clip: { kind: 'per-token', mode: 'aaac' } });
        expect(E.isLeft(perToken) && perToken.left).toEqual({ reason: 'per-token-bounds', mode: 'aaac' });
      }),
    );
  });

  it("gives a request whose token sum is rlflow's loss, value and ∂/∂logp, under every aggregation", () => {
    fc.assert(
      fc.property(
        objectiveConfigArb().chain((config) => objectiveCaseArb({ policyLoss: exactConfig(config).policyLoss, lossAgg: config.lossAgg })),
        fc.context(),
        ({ config, input: raw }, ctx) => {
          const objective = exactConfig(config);
          const input: ObjectiveInput = { ...raw, epsLow: typeof raw.epsLow === 'number' ? raw.epsLow : 0.2, epsHigh: typeof raw.epsHigh === 'number' ? raw.epsHigh : 0.28 };
          const call = decideBuiltinLoss({ objective, clip: scalarSpec(input) }, input);
          if (E.isLeft(call)) throw new Error(JSON.stringify(call.left));
          const expected = objectiveOf(objective)(input);
          if (E.isLeft(expected)) throw expected.left;
          const got = builtinLossSum(call.right, input.logp);
          ctx.log(`${objective.policyLoss} ${objective.lossAgg}: ${got.loss} vs ${expected.right.loss}`);
          const scale = 1 + call.right.advantages.data.reduce((s, a) => s + Math.abs(a), 0) * 3;
          expect(Math.abs(got.loss - expected.right.loss)).toBeLessThanOrEqual(1e-12 * scale);
          for (let i = 0; i < got.gradLogp.data.length; i++) {
            expect(Math.abs(got.gradLogp.data[i]! - expected.right.gradLogp.data[i]!)).toBeLessThanOrEqual(1e-12 * scale);
            if (input.mask.data[i] === 0) expect(call.right.advantages.data[i]).toBe(0);
          }
          expect(ratioClampCorrection(call.right, input.logp, input.mask, expected.right.gradLogp)).toBeNull();
        },
      ),
    );
  });

  it('sends a mini-batch whose bounds are not the scalar ones, or whose inputs are not finite, down the gradient path', () => {
    const objective = TOKEN_MEAN_PPO;
    const mask = matrix(2, 2, Float64Array.from([1, 1, 1, 0]));
    const base = { oldLogp: matrix(2, 2, Float64Array.from([-1, -1, -1, 0])), mask, advantages: Float64Array.from([1, -1]), epsLow: 0.2, epsHigh: 0.28 };
    const clip: ClipBoundsSpec = { kind: 'scalar', epsLow: 0.2, epsHigh: 0.28 };
    const highs = matrix(2, 2, Float64Array.from([0.28, 0.28, 0.3, 0.28]));
    expect(decideBuiltinLoss({ objective, clip }, { ...base, epsHigh: highs })).toEqual(E.left({ reason: 'bounds-differ', field: 'epsHigh', index: [1, 0] }));
    // A bound outside the mask does not matter.
    expect(E.isRight(decideBuiltinLoss({ objective, clip }, { ...base, epsHigh: matrix(2, 2, Float64Array.from([0.28, 0.28, 0.28, 9])) }))).toBe(true);
    expect(decideBuiltinLoss({ objective, clip }, { ...base, oldLogp: matrix(2, 2, Float64Array.from([-1, NaN, -1, 0])) })).toEqual(E.left({ reason: 'not-finite', field: 'oldLogp', index: [0, 1] }));
    expect(decideBuiltinLoss({ objective, clip }, { ...base, advantages: Float64Array.from([1, Infinity]) })).toEqual(E.left({ reason: 'not-finite', field: 'advantages', index: [1, 0] }));
  });
});

describe('built-in losses (golden cases, worked by hand)', () => {
  // One sequence, two tokens, token-mean (ω = 1/2), A = 1, ε = 0.2 / 0.28, ratios 1.5 and 0.9.
  const logp = matrix(1, 2, Float64Array.from([Math.log(1.5) - 1, Math.log(0.9) - 1]));
  const oldLogp = matrix(1, 2, Float64Array.from([-1, -1]));
  const mask = matrix(1, 2, Float64Array.from([1, 1]));
  const objective = TOKEN_MEAN_PPO;
  const batch = { oldLogp, mask, advantages: Float64Array.from([1]), epsLow: 0.2, epsHigh: 0.28 };
  const clip: ClipBoundsSpec = { kind: 'scalar', epsLow: 0.2, epsHigh: 0.28 };

  it('ppo: −(½·min(1.5, 1.28) + ½·min(0.9, 0.9)) = −1.09, ∂/∂logp = (0, −0.45)', () => {
    const call = decideBuiltinLoss({ objective, clip }, batch);
    if (E.isLeft(call)) throw new Error(call.left.reason);
    expect(Array.from(call.right.advantages.data)).toEqual([0.5, 0.5]);
    const got = builtinLossSum(call.right, logp);
    expect(got.loss).toBeCloseTo(-1.09, 12);
    expect(got.gradLogp.data[0]).toBe(0);
    expect(got.gradLogp.data[1]).toBeCloseTo(-0.45, 12);
    const expected = objectiveOf(objective)({ ...batch, logp });
    expect(E.isRight(expected) && expected.right.loss).toBeCloseTo(-1.09, 12);
  });

  it('cispo: −½·(1.28·logp₀ + 0.9·logp₁) with [0.8, 1.28]', () => {
    const call = decideBuiltinLoss({ objective: { ...objective, policyLoss: 'cispo' }, clip }, batch);
    if (E.isLeft(call)) throw new Error(call.left.reason);
    const got = builtinLossSum(call.right, logp);
    expect(got.loss).toBeCloseTo(-0.5 * (1.28 * logp.data[0]! + 0.9 * logp.data[1]!), 12);
    expect(got.gradLogp.data[0]).toBeCloseTo(-0.5 * 1.28, 12);
    expect(got.gradLogp.data[1]).toBeCloseTo(-0.5 * 0.9, 12);
  });

  it('importance_sampling: −Σ r·A, and a negative advantage under ppo keeps the unclipped high ratio', () => {
    expect(builtinTokenLoss('importance_sampling', null, Math.log(2), 0, 3)).toEqual({ loss: -6, gradLogp: -6 });
    // A < 0, r = 1.5 > 1.28: min(−1.5, −1.28) = −1.5, the unclipped branch with its gradient.
    const term = builtinTokenLoss('ppo', { clipLow: 0.8, clipHigh: 1.28 }, Math.log(1.5), 0, -1);
    expect(term.loss).toBeCloseTo(1.5, 12);
    expect(term.gradLogp).toBeCloseTo(1.5, 12);
  });

  it("corrects a token whose log-ratio is outside rlflow's ±20 clamp, and only that token", () => {
    const far = matrix(1, 2, Float64Array.from([-1 + 25, Math.log(0.9) - 1]));
    const call = decideBuiltinLoss({ objective, clip }, { ...batch, advantages: Float64Array.from([-1]) });
    if (E.isLeft(call)) throw new Error(call.left.reason);
    const expected = objectiveOf(objective)({ ...batch, advantages: Float64Array.from([-1]), logp: far });
    if (E.isLeft(expected)) throw expected.left;
    const delta = ratioClampCorrection(call.right, far, mask, expected.right.gradLogp);
    expect(delta).not.toBeNull();
    // rlflow's gradient there is 0 (the clamp); the built-in one is −A'·e^25.
    expect(delta!.data[0]).toBeCloseTo(-0.5 * Math.exp(25), -2);
    expect(delta!.data[1]).toBe(0);
  });
});
