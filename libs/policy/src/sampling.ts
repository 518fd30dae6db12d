/**
 * Next-token sampling from one row of logits z (plain numbers, float64 arithmetic).
 *
 *   policy log-prob    log π(a) = z_a − logsumexp(z)                    (temperature 1, no filtering)
 *   sampling dist.     q ∝ softmax(z/τ) restricted to the top-k ids, then to the smallest
 *                      prefix (by decreasing probability) whose mass reaches top-p, renormalised
 *                      (the order of Hugging Face's TopK then TopP logits warpers)
 *   sampler log-prob   log q(a)
 *
 * τ = 0 is greedy decoding (argmax, log q = 0). The token is drawn by inverse CDF over the kept
 * ids in decreasing-probability order with one uniform u ∈ [0, 1) from the caller's `Rng`.
 * RL uses the policy log-prob (the log-prob of the token under the policy being optimised, at
 * temperature 1); the sampler log-prob is the behaviour distribution actually sampled from.
 */
import * as E from 'fp-ts/lib/Either.js';
import { inRange, StageError, validate } from '@rlflow/core';
import type { SamplingParams } from '@rlflow/engine';

/** The sampling parameters as the engine contract has them. */
export type { SamplingParams } from '@rlflow/engine';

export const defaultSamplingParams: SamplingParams = { temperature: 1, topP: 1, topK: 0, maxNewTokens: 32 };

export const validateSampling = (params: SamplingParams, maxResponseTokens: number): E.Either<StageError, void> =>
  validate(
    inRange('policy.generate', 'sampling.temperature', params.temperature, { min: 0 }),
    inRange('policy.generate', 'sampling.topP', params.topP, { min: 0, max: 1, exclusiveMin: true }),
    () =>
      Number.isInteger(params.topK) && params.topK >= 0
        ? undefined
        : new StageError('policy.generate', 'sampling.topK', null, 'not-integer', `is ${params.topK}, expected a non-negative integer`),
    () =>
      Number.isInteger(params.maxNewTokens) && params.maxNewTokens >= 1 && params.maxNewTokens <= maxResponseTokens
        ? undefined
        : new StageError('policy.generate', 'sampling.maxNewTokens', null, 'out-of-range', `is ${params.maxNewTokens}, expected an integer in [1, ${maxResponseTokens}]`),
  );

export interface SampledToken {
  readonly token: number;
  /** log π(token) at temperature 1, unfiltered. */
  readonly logp: number;
  /** log q(token) under the distribution actually sampled from. */
  readonly samplerLogp: number;
}

const logSumExp = (values: ArrayLike<number>, scale: number): number => {
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) max = Math.max(max, values[i]! * scale);
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += Math.exp(values[i]! * scale - max);
  return max + Math.log(sum);
};

interface Kept {
  /** q over every id (0 for filtered ids). */
  readonly q: Float64Array;
  /** The kept ids in decreasing-probability order (ties by id). */
  readonly ids: readonly number[];
}

const keptDistribution = (logits: ArrayLike<number>, params: Pick<SamplingParams, 'temperature' | 'topP' | 'topK'>): Kept => {
  const n = logits.length;
  const q = new Float64Array(n);
  if (params.temperature === 0) {
    let best = 0;
    for (let i = 1; i < n; i++) if (logits[i]! > logits[best]!) best = i;
    q[best] = 1;
    return { q, ids: [best] };
  }
  const scale = 1 / params.temperature;
  const lse = logSumExp(logits, scale);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => logits[b]! - logits[a]! || a - b);
  const prob = order.map((id) => Math.exp(logits[id]! * scale - lse));
  const k = params.topK > 0 ? Math.min(params.topK, n) : n;
  let topKMass = 0;
  for (let r = 0; r < k; r++) topKMass += prob[r]!;
  let cumulative = 0;
  let kept = 0;
  while (kept < k) {
    cumulative += prob[kept]! / topKMass;
    kept++;
    if (cumulative >= params.topP) break;
  }
  let total = 0;
  for (let r = 0; r < kept; r++) total += prob[r]!;
  for (let r = 0; r < kept; r++) q[order[r]!] = prob[r]! / total;
  return { q, ids: order.slice(0, kept) };
};

/** The sampling distribution q over token ids (0 for filtered ids), as plain probabilities. */
export const samplingDistribution = (logits: ArrayLike<number>, params: Pick<SamplingParams, 'temperature' | 'topP' | 'topK'>): Float64Array =>
  keptDistribution(logits, params).q;

/** Samples one token from `logits` with the uniform draw `u`. */
export const sampleToken = (logits: ArrayLike<number>, params: SamplingParams, u: number): SampledToken => {
  const { q, ids } = keptDistribution(logits, params);
  let token = ids[ids.length - 1]!;
  let cumulative = 0;
  for (const id of ids) {
    cumulative += q[id]!;
    if (u < cumulative) {
      token = id;
      break;
    }
  }
  return { token, logp: logits[token]! - logSumExp(logits, 1), samplerLogp: Math.log(q[token]!) };
};
