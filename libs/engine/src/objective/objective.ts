/**
 * The objective: one mini-batch's loss and its gradients, in float64 (docs/algorithms.md §11):
 *
 *   L = agg(l_policy(logp, oldLogp, A; ε_low, ε_high, c))                   policy loss (§5), agg = lossAgg
 *     + kl.coef · agg_kl(w_i · k(logp, refLogp))                              KL term (§6), w_i = klWeights when kl.sequenceWeights
 *     − γ · agg_papo(k3(logp, sg(maskedLogp))) + η·(−agg_papo(logp)) + η·(−agg_papo(maskedLogp))   PAPO (§10)
 *     − entropy.coef · agg_H(H)                                                entropy bonus
 *
 * every aggregation a §3 mode with C = normConstant, each term present only when the config
 * turns it on (kl.coef ≠ 0, papo ≠ null, entropy.coef ≠ 0). It returns L, the gradients
 *
 *   ∂L/∂logp       = Σ of every term's ∂/∂logp
 *   ∂L/∂maskedLogp = −η·w_papo   (the perception term sees maskedLogp under sg)
 *   ∂L/∂H          = −entropy.coef·w_H
 *
 * (w = ∂agg/∂loss, zero outside the mask) and the metrics. The terms are @rlflow/clipping's plain
 * forms (`policyLosses[name].plain`, `klLoss`, `papo`) and `entropyBonus`; nothing here restates
 * their formulas. The engine backpropagates Σ ∂L/∂logp · logp + Σ ∂L/∂H · H over the full view
 * and Σ ∂L/∂maskedLogp · maskedLogp over the masked view (one `WeightedTerm` each): the
 * gradient-by-log-prob contract of §11. Since the weights are those of the whole mini-batch,
 * those sums are additive over rows and the engine may split the rows into micro-batches.
 */
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { broadcastRows, validate, type Matrix, type StageError } from '@rlflow/core';
import { klLoss, papo, policyLosses } from '@rlflow/clipping';
import { entropyBonus } from './entropy-bonus.js';
import type { Objective, ObjectiveConfig, ObjectiveInput, ObjectiveNeeds, ObjectiveOutput } from './types.js';
import { configChecks, finiteOutputChecks, inputChecks } from './validation.js';

/** What the config's terms need from the engine: a reference model, a masked-image view, entropies. */
export const objectiveNeeds = (config: ObjectiveConfig): ObjectiveNeeds => ({
  reference: config.kl.coef !== 0,
  maskedView: config.papo !== null,
  entropyWeights: config.entropy.coef !== 0,
});

/** The objective of a config, or the StageError (stage `objective`) naming its first bad field. */
export const buildObjective = (config: ObjectiveConfig): E.Either<StageError, Objective> =>
  pipe(
    validate(...configChecks(config)),
    E.map(
      (): Objective => (input) =>
        pipe(
          validate(...inputChecks(config, input)),
          E.chain(() => evaluate(config, input)),
        ),
    ),
  );

const sumInto = (into: Float64Array, m: Matrix): void => {
  for (let i = 0; i < into.length; i++) into[i]! += m.data[i]!;
};

/** Σ H·mask / max(Σ mask, 1). */
const maskedMean = (x: Matrix, mask: Matrix): number => {
  let s = 0;
  let n = 0;
  for (let i = 0; i < mask.data.length; i++) {
    if (mask.data[i] === 1) {
      s += x.data[i]!;
      n++;
    }
  }
  return s / Math.max(n, 1);
};

/** The terms on a validated input; a term that is off is null. */
const evaluate = (config: ObjectiveConfig, input: ObjectiveInput): E.Either<StageError, ObjectiveOutput> => {
  const { logp, oldLogp, mask } = input;
  const { normConstant } = config;
  return pipe(
    E.Do,
    E.bind('policy', () =>
      policyLosses[config.policyLoss].plain({
        epsLow: input.epsLow,
        epsHigh: input.epsHigh,
        dualClipC: config.dualClipC,
        lossAgg: config.lossAgg,
        normConstant,
      })({ logp, oldLogp, advantages: broadcastRows(input.advantages, mask.cols), mask }),
    ),
    E.bind('kl', () =>
      config.kl.coef === 0
        ? E.right(null)
        : klLoss({
            estimator: config.kl.estimator,
            coef: config.kl.coef,
            seqWeights: config.kl.sequenceWeights ? input.klWeights! : null,
            lossAgg: config.kl.lossAgg,
            normConstant,
          })({ logp, refLogp: input.refLogp!, mask }),
    ),
    E.bind('papo', () =>
      config.papo === null
        ? E.right(null)
        : papo({ gamma: config.papo.gamma, eta: config.papo.eta, lossAgg: config.papo.lossAgg, normConstant })({
            logp,
            logpMasked: input.maskedLogp!,
            mask,
          }),
    ),
    E.bind('bonus', () =>
      config.entropy.coef === 0 ? E.right(null) : entropyBonus({ coef: config.entropy.coef, lossAgg: config.entropy.lossAgg, normConstant })({ entropy: input.entropy!, mask }),
    ),
    E.chain(({ policy, kl, papo: perception, bonus }) => {
      const gradLogp = new Float64Array(logp.data.length);
      sumInto(gradLogp, policy.gradLogp);
      if (kl !== null) sumInto(gradLogp, kl.gradLogp);
      if (perception !== null) sumInto(gradLogp, perception.gradLogp);
      // Terms enter as `0 + x` so an empty batch reports +0, never −0.
      const klLossValue = 0 + (kl?.loss ?? 0);
      const papoLoss = 0 + (perception?.loss ?? 0);
      const entropyLoss = 0 + (bonus?.loss ?? 0);
      const loss = 0 + policy.loss + klLossValue + papoLoss + entropyLoss;
      const output: ObjectiveOutput = {
        loss,
        gradLogp: { rows: logp.rows, cols: logp.cols, data: gradLogp },
        gradMaskedLogp: perception === null ? null : { rows: logp.rows, cols: logp.cols, data: Float64Array.from(perception.gradLogpMasked.data, (x) => 0 + x) },
        gradEntropy: bonus === null ? null : bonus.gradEntropy,
        metrics: {
          pgLoss: 0 + policy.loss,
          clipFrac: policy.clipFrac,
          approxKl: 0 + policy.approxKl,
          klLoss: klLossValue,
          papoLoss,
          entropyLoss,
          entropy: input.entropy === undefined ? null : maskedMean(input.entropy, mask),
        },
      };
      return pipe(
        validate(
          ...finiteOutputChecks([['loss', loss], ...Object.entries(output.metrics).map(([name, x]) => [`metrics.${name}`, x] as const)], [
            ['gradLogp', output.gradLogp],
            ['gradMaskedLogp', output.gradMaskedLogp],
            ['gradEntropy', output.gradEntropy],
          ]),
        ),
        E.map(() => output),
      );
    }),
  );
};
