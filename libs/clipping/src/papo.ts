/**
 * PAPO's extra loss terms for multimodal prompts (added to the policy loss, minimized):
 *
 *   perception = −γ · agg(k3(logp(o|q,I), sg(logp(o|q,I_mask))))      (implicit perception loss)
 *   entropy    =  η · (−agg(logp(o|q,I))) + η · (−agg(logp(o|q,I_mask)))  (double entropy)
 *   loss       = perception + entropy
 *
 * with k3 of §2 (δ = clamp(sg(logpMasked) − logp, −20, 20), k3 = clamp(e^δ − δ − 1, −10, 10)) and
 * `agg` a §3 aggregation, token-mean by default (the "mean" of §10). The perception term is ≤ 0:
 * minimizing it maximizes the divergence from the masked-image policy; being under sg, the
 * masked log-probs get no gradient from it, only from their entropy term. Analytic gradients:
 * ∂/∂logp = −γ·w·∂k3/∂logp − η·w,  ∂/∂logpMasked = −η·w, with w = ∂agg/∂l.
 * γ = 0.01–0.02, η = 0.03; I_mask blackens image patches independently with probability 0.6.
 *
 * Reference: docs/algorithms.md §10; Wang et al. 2025, "Perception-Aware Policy Optimization for
 * Multimodal Reasoning" (arXiv:2507.06448), §3 (implicit perception loss, double entropy loss).
 */
import type * as E from 'fp-ts/lib/Either.js';
import { guarded, inRange, type Check, type Matrix, type StageError } from '@rlflow/core';
import { aggregationChecks, aggregationWeightsUnchecked, type AggregationOptions, type LossAggregation } from './aggregation.js';
import { klTerm } from './kl.js';
import { tokenInputChecks } from './validation.js';

export interface PapoParams extends AggregationOptions {
  /** Weight of the implicit perception loss, γ ≥ 0. */
  readonly gamma: number;
  /** Weight of each entropy term, η ≥ 0. */
  readonly eta: number;
  readonly lossAgg?: LossAggregation;
}

export const PAPO_DEFAULTS: PapoParams = { gamma: 0.01, eta: 0.03 };
/** Probability that a patch of I is blackened in I_mask. */
export const PAPO_MASK_PROBABILITY = 0.6;

export interface PapoInput {
  /** Log-probs of the response under the real image, [B, T]. */
  readonly logp: Matrix;
  /** Log-probs of the same response under the masked image, [B, T]. */
  readonly logpMasked: Matrix;
  readonly mask: Matrix;
}

export interface PapoResult {
  readonly loss: number;
  readonly perceptionLoss: number;
  readonly entropyLoss: number;
  readonly gradLogp: Matrix;
  readonly gradLogpMasked: Matrix;
}

export const papoParamChecks = (p: PapoParams): Check[] => [
  inRange('papo', 'gamma', p.gamma, { min: 0 }),
  inRange('papo', 'eta', p.eta, { min: 0 }),
  ...aggregationChecks('papo', p.lossAgg ?? 'token-mean', p),
];

export const papo =
  (params: Partial<PapoParams> = {}) =>
  ({ logp, logpMasked, mask }: PapoInput): E.Either<StageError, PapoResult> => {
    const p: PapoParams = { ...PAPO_DEFAULTS, ...params };
    return guarded(
      [
        ...papoParamChecks(p),
        ...tokenInputChecks(
          'papo',
          [
            ['logp', logp],
            ['logpMasked', logpMasked],
          ],
          mask,
        ),
      ],
      () => {
        const weights = aggregationWeightsUnchecked(p.lossAgg ?? 'token-mean', mask, p);
        const n = logp.data.length;
        const gradLogp = new Float64Array(n);
        const gradLogpMasked = new Float64Array(n);
        let k3 = 0;
        let entLogp = 0;
        let entMasked = 0;
        for (let i = 0; i < n; i++) {
          const w = weights.data[i]!;
          if (w === 0) continue;
          const term = klTerm('k3', logp.data[i]!, logpMasked.data[i]!);
          k3 += w * term.value;
          entLogp += w * logp.data[i]!;
          entMasked += w * logpMasked.data[i]!;
          gradLogp[i] = -p.gamma * w * term.dLogp - p.eta * w;
          gradLogpMasked[i] = -p.eta * w;
        }
        const perceptionLoss = -p.gamma * k3;
        const entropyLoss = -p.eta * entLogp - p.eta * entMasked;
        return {
          loss: perceptionLoss + entropyLoss,
          perceptionLoss,
          entropyLoss,
          gradLogp: { rows: logp.rows, cols: logp.cols, data: gradLogp },
          gradLogpMasked: { rows: logp.rows, cols: logp.cols, data: gradLogpMasked },
        };
      },
    );
  };
