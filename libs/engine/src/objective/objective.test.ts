/**
 * The objective (docs/algorithms.md §11): its gradients against central finite differences of its
 * loss for every policy loss × aggregation (KL estimator, sequence weights, PAPO and the entropy
 * bonus drawn at random); its loss and metrics against the component plain forms of
 * @rlflow/clipping called directly; zero gradients outside the mask and on an empty batch; needs.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { broadcastRows, unwrap, type Matrix } from '@rlflow/core';
import { LOSS_AGGREGATIONS, POLICY_LOSS_NAMES, aggregate, klLoss, papo, policyLosses } from '@rlflow/clipping';
import { awayFromKinks, objectiveCaseArb } from './arbitraries.js';
import { buildObjective, objectiveNeeds } from './objective.js';
import type { ObjectiveConfig, ObjectiveInput } from './types.js';

const H = 1e-6;
const FD_TOLERANCE = { abs: 1e-6, rel: 1e-6 };

const lossOf = (config: ObjectiveConfig, input: ObjectiveInput): number => unwrap(unwrap(buildObjective(config))(input)).loss;

/** The input with entry i of each named matrix moved by dx. */
const moved = (input: ObjectiveInput, fields: ReadonlyArray<'logp' | 'oldLogp' | 'maskedLogp' | 'entropy'>, i: number, dx: number): ObjectiveInput => {
  const out: Record<string, unknown> = { ...input };
  for (const field of fields) {
    const m = input[field]!;
    const data = Float64Array.from(m.data);
    data[i]! += dx;
    out[field] = { ...m, data };
  }
  return out as unknown as ObjectiveInput;
};

const centralDifference = (value: (input: ObjectiveInput) => number, input: ObjectiveInput, fields: Parameters<typeof moved>[1], i: number): number =>
  (value(moved(input, fields, i, H)) - value(moved(input, fields, i, -H))) / (2 * H);

const expectClose = (actual: number, expected: number, tol: { readonly abs: number; readonly rel: number }, label: string): void => {
  if (!(Math.abs(actual - expected) <= Math.max(tol.abs, tol.rel * Math.abs(expected)))) throw new Error(`${label}: ${actual} vs ${expected}`);
};

/** −γ·agg_papo(k3(logp, maskedLogp)) with maskedLogp differentiable: the share that sg removes from ∂L/∂maskedLogp. */
const perceptionValue = (config: ObjectiveConfig) => (input: ObjectiveInput): number =>
  config.papo === null
    ? 0
    : unwrap(papo({ gamma: config.papo.gamma, eta: 0, lossAgg: config.papo.lossAgg, normConstant: config.normConstant })({ logp: input.logp, logpMasked: input.maskedLogp!, mask: input.mask }))
        .perceptionLoss;

describe('objective: gradients equal central finite differences of the loss (float64, h = 1e-6)', () => {
  for (const policyLoss of POLICY_LOSS_NAMES) {
    for (const lossAgg of LOSS_AGGREGATIONS) {
      it(`${policyLoss} / ${lossAgg}, with random KL (estimator, sequence weights), PAPO and entropy bonus`, () => {
        fc.assert(
          fc.property(objectiveCaseArb({ policyLoss, lossAgg }), (c) => {
            fc.pre(awayFromKinks(c));
            const { config, input } = c;
            const out = unwrap(unwrap(buildObjective(config))(input));
            const value = (x: ObjectiveInput): number => lossOf(config, x);
            for (let i = 0; i < input.logp.data.length; i++) {
              // cispo's weight sg(clamp(ratio)) depends on logp − oldLogp only: moving both holds it,
              // which is what the stop-gradient means; every other term ignores oldLogp.
              const logpFields = policyLoss === 'cispo' ? (['logp', 'oldLogp'] as const) : (['logp'] as const);
              expectClose(out.gradLogp.data[i]!, centralDifference(value, input, logpFields, i), FD_TOLERANCE, `gradLogp[${i}]`);
              if (config.papo !== null) {
                const expected = centralDifference(value, input, ['maskedLogp'], i) - centralDifference(perceptionValue(config), input, ['maskedLogp'], i);
                expectClose(out.gradMaskedLogp!.data[i]!, expected, FD_TOLERANCE, `gradMaskedLogp[${i}]`);
              }
              if (config.entropy.coef !== 0) expectClose(out.gradEntropy!.data[i]!, centralDifference(value, input, ['entropy'], i), FD_TOLERANCE, `gradEntropy[${i}]`);
            }
            expect(out.gradMaskedLogp === null).toBe(config.papo === null);
            expect(out.gradEntropy === null).toBe(config.entropy.coef === 0);
          }),
          { numRuns: 30, seed: 1400 + POLICY_LOSS_NAMES.indexOf(policyLoss) * 10 + LOSS_AGGREGATIONS.indexOf(lossAgg) },
        );
      });
    }
  }

  it('the PAPO gradient with respect to maskedLogp is −η·w: −η/N on every valid token under token-mean', () => {
    fc.assert(
      fc.property(objectiveCaseArb(), ({ config, input }) => {
        const withPapo: ObjectiveConfig = { ...config, papo: { gamma: 0.02, eta: 0.03, lossAgg: 'token-mean' } };
        const out = unwrap(unwrap(buildObjective(withPapo))(input));
        const n = input.mask.data.reduce((s, m) => s + m, 0);
        input.mask.data.forEach((m, i) => expect(out.gradMaskedLogp!.data[i]).toBeCloseTo(m === 1 ? -0.03 / n : 0, 15));
      }),
      { numRuns: 40, seed: 1501 },
    );
  });
});

describe('objective: the loss is the sum of the component plain forms', () => {
  it('loss, gradients and metrics equal the policy loss + KL + PAPO + entropy bonus called directly', () => {
    fc.assert(
      fc.property(objectiveCaseArb(), ({ config, input }) => {
        const out = unwrap(unwrap(buildObjective(config))(input));
        const { logp, oldLogp, mask, normConstant } = { ...input, normConstant: config.normConstant };
        const policy = unwrap(
          policyLosses[config.policyLoss].plain({ epsLow: input.epsLow, epsHigh: input.epsHigh, dualClipC: config.dualClipC, lossAgg: config.lossAgg, normConstant })({
            logp,
            oldLogp,
            advantages: broadcastRows(input.advantages, mask.cols),
            mask,
          }),
        );
        const kl =
          config.kl.coef === 0
            ? null
            : unwrap(
                klLoss({
                  estimator: config.kl.estimator,
                  coef: config.kl.coef,
                  seqWeights: config.kl.sequenceWeights ? input.klWeights! : null,
                  lossAgg: config.kl.lossAgg,
                  normConstant,
                })({ logp, refLogp: input.refLogp!, mask }),
              );
        const perception =
          config.papo === null
            ? null
            : unwrap(papo({ ...config.papo, normConstant })({ logp, logpMasked: input.maskedLogp!, mask }));
        const bonus = config.entropy.coef === 0 ? 0 : -config.entropy.coef * unwrap(aggregate(config.entropy.lossAgg, { normConstant })(input.entropy!, mask));
        const expected = policy.loss + (kl?.loss ?? 0) + (perception?.loss ?? 0) + bonus;
        expectClose(out.loss, expected, { abs: 1e-12, rel: 1e-12 }, 'loss');
        out.gradLogp.data.forEach((g, i) =>
          expectClose(g, policy.gradLogp.data[i]! + (kl?.gradLogp.data[i] ?? 0) + (perception?.gradLogp.data[i] ?? 0), { abs: 1e-15, rel: 1e-12 }, `gradLogp[${i}]`),
        );
        // The same numbers (=== : the objective reports +0 where a component may give −0).
        expect(out.metrics.pgLoss === policy.loss).toBe(true);
        expect(out.metrics.clipFrac === policy.clipFrac).toBe(true);
        expect(out.metrics.approxKl === policy.approxKl).toBe(true);
        expect(out.metrics.klLoss === (kl?.loss ?? 0)).toBe(true);
        expect(out.metrics.papoLoss === (perception?.loss ?? 0)).toBe(true);
        expectClose(out.metrics.entropyLoss, bonus, { abs: 1e-15, rel: 1e-12 }, 'entropyLoss');
        const valid = mask.data.reduce((s, m) => s + m, 0);
        const meanH = input.entropy!.data.reduce((s, h, i) => s + h * mask.data[i]!, 0) / Math.max(valid, 1);
        expectClose(out.metrics.entropy!, meanH, { abs: 1e-15, rel: 1e-12 }, 'entropy');
      }),
      { numRuns: 200, seed: 1600 },
    );
  });

  it('uses kl.lossAgg exactly as configured, with or without sequence weights', () => {
    const m = (rows: number[][]): Matrix => ({ rows: rows.length, cols: rows[0]!.length, data: Float64Array.from(rows.flat()) });
    const mask = m([[1, 1, 1], [1, 0, 0]]);
    const logp = m([[-1, -2, -0.5], [-1, -1, -1]]);
    const refLogp = m([[-1.5, -2, -1], [-0.5, -1, -1]]);
    const klWeights = Float64Array.from([0.25, 1]);
    const input: ObjectiveInput = { logp, oldLogp: logp, mask, advantages: Float64Array.from([1, -1]), epsLow: 0.2, epsHigh: 0.2, refLogp, klWeights };
    const base: ObjectiveConfig = {
      policyLoss: 'ppo',
      lossAgg: 'token-mean',
      normConstant: 3,
      dualClipC: null,
      kl: { coef: 0.5, estimator: 'k1', lossAgg: 'token-mean', sequenceWeights: true },
      papo: null,
      entropy: { coef: 0, lossAgg: 'token-mean' },
    };
    // k1 = logp − refLogp: [[0.5, 0, 0.5], [−0.5, ·, ·]]; token-mean of w_i·k over 4 tokens.
    const tokenMean = unwrap(unwrap(buildObjective(base))(input)).metrics.klLoss;
    expect(tokenMean).toBeCloseTo((0.5 * (0.25 * 0.5 + 0 + 0.25 * 0.5 + 1 * -0.5)) / 4, 15);
    // seq-mean-token-mean, §6's DADS formula: mean_i(w_i · Σ_t k / n_i).
    const seqMean = unwrap(unwrap(buildObjective({ ...base, kl: { ...base.kl, lossAgg: 'seq-mean-token-mean' } }))(input)).metrics.klLoss;
    expect(seqMean).toBeCloseTo((0.5 * ((0.25 * 1) / 3 + (1 * -0.5) / 1)) / 2, 15);
    const unweighted = unwrap(unwrap(buildObjective({ ...base, kl: { ...base.kl, sequenceWeights: false } }))(input)).metrics.klLoss;
    expect(unweighted).toBeCloseTo((0.5 * (0.5 + 0 + 0.5 - 0.5)) / 4, 15);
  });
});

describe('objective: the mask', () => {
  it('gives zero gradients outside the mask', () => {
    fc.assert(
      fc.property(objectiveCaseArb(), ({ config, input }) => {
        const out = unwrap(unwrap(buildObjective(config))(input));
        input.mask.data.forEach((m, i) => {
          if (m === 0) {
            expect(out.gradLogp.data[i]).toBe(0);
            if (out.gradMaskedLogp !== null) expect(out.gradMaskedLogp.data[i]).toBe(0);
            if (out.gradEntropy !== null) expect(out.gradEntropy.data[i]).toBe(0);
          }
        });
      }),
      { numRuns: 150, seed: 1700 },
    );
  });

  it('gives loss 0, zero gradients and zero metrics on a batch with no valid token', () => {
    fc.assert(
      fc.property(objectiveCaseArb({}, { emptyMask: true }), ({ config, input }) => {
        const out = unwrap(unwrap(buildObjective(config))(input));
        expect(out.loss).toBe(0);
        for (const g of [out.gradLogp, out.gradMaskedLogp, out.gradEntropy]) if (g !== null) expect(Array.from(g.data).every((x) => x === 0)).toBe(true);
        expect(out.metrics).toEqual({ pgLoss: 0, clipFrac: 0, approxKl: 0, klLoss: 0, papoLoss: 0, entropyLoss: 0, entropy: 0 });
      }),
      { numRuns: 100, seed: 1800 },
    );
  });

  it('reports entropy null when no entropies are given, and needs none when the bonus is off', () => {
    const input = fc.sample(objectiveCaseArb(), { numRuns: 1, seed: 5 })[0]!;
    const config: ObjectiveConfig = { ...input.config, entropy: { coef: 0, lossAgg: 'token-mean' } };
    const { entropy: _entropy, ...withoutEntropy } = input.input;
    const out = unwrap(unwrap(buildObjective(config))(withoutEntropy));
    expect(out.metrics.entropy).toBeNull();
    expect(out.metrics.entropyLoss).toBe(0);
    expect(out.gradEntropy).toBeNull();
  });
});

describe('objectiveNeeds', () => {
  it('asks for a reference when kl.coef ≠ 0, a masked view when PAPO is on, entropy weights when entropy.coef ≠ 0', () => {
    fc.assert(
      fc.property(objectiveCaseArb(), ({ config }) => {
        expect(objectiveNeeds(config)).toEqual({ reference: config.kl.coef !== 0, maskedView: config.papo !== null, entropyWeights: config.entropy.coef !== 0 });
      }),
      { numRuns: 50, seed: 1900 },
    );
  });

  it('runs on exactly what it needs: a config with every term off takes no optional input', () => {
    const { input } = fc.sample(objectiveCaseArb(), { numRuns: 1, seed: 9 })[0]!;
    const config: ObjectiveConfig = {
      policyLoss: 'ppo',
      lossAgg: 'token-mean',
      normConstant: 1,
      dualClipC: null,
      kl: { coef: 0, estimator: 'k3', lossAgg: 'token-mean', sequenceWeights: true },
      papo: null,
      entropy: { coef: 0, lossAgg: 'token-mean' },
    };
    expect(objectiveNeeds(config)).toEqual({ reference: false, maskedView: false, entropyWeights: false });
    const bare: ObjectiveInput = { logp: input.logp, oldLogp: input.oldLogp, mask: input.mask, advantages: input.advantages, epsLow: 0.2, epsHigh: 0.2 };
    expect(E.isRight(unwrap(buildObjective(config))(bare))).toBe(true);
  });
});
