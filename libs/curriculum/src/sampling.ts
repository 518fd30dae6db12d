/**
 * Which training prompts a step draws, from what the curriculum state measured
 * (docs/algorithms.md §8, "Prompt sampling" — rlflow's choice; the ACPO paper leaves it open).
 *
 * Over a finite pool of prompt keys k₁…k_N, prompt i with pass-rate window h_i (its latest
 * group pass rates, state.ts) weighs
 *
 *   w_i = 1                                      if h_i is empty (never seen: explore it)
 *   w_i = floor + (1 − floor) · 4 · p̂_i · (1 − p̂_i)   with p̂_i = mean(h_i)      ('pass-rate')
 *   w_i = 1                                      for every prompt                 ('uniform')
 *
 * so a prompt solved about half the time (the most informative group: GRPO's advantages vanish
 * when every response of a group scores alike) weighs 1, an always-solved or never-solved one
 * weighs `floor` ∈ (0, 1]. The step's order of the pool is a weighted draw without replacement
 * (Efraimidis & Spirakis 2006): with u_i uniform in (0, 1] from `Rng.fromSeed(seed)`, drawn in
 * key order, prompt i gets the key ln(u_i) / w_i, and the order is by key, largest first (ties by
 * index). The first prompt of the order is i with probability w_i / Σ w_j; the refill (rollout)
 * takes prompts from the front of the order, so each prompt is drawn at most once per step.
 */
import * as E from 'fp-ts/lib/Either.js';
import { map, type OperatorFunction } from 'rxjs';
import { Rng, StageError, inRange, unwrap, validate, type Check } from '@rlflow/core';
import { integerIn, oneOf } from './checks.js';
import { passRateHistory, type CurriculumState } from './state.js';

/**
 * Every `curriculum.sampling.strategy` a configuration may name: `fresh` draws new prompts of the
 * suite at every step (no pool, nothing recurs); `uniform` and `pass-rate` order a finite pool.
 */
export const PROMPT_SAMPLING_STRATEGIES = ['fresh', 'uniform', 'pass-rate'] as const;
export type PromptSamplingStrategy = (typeof PROMPT_SAMPLING_STRATEGIES)[number];

/** The strategies that draw from a finite pool, in the order `samplingOrder` computes. */
export const POOL_SAMPLING_STRATEGIES = ['uniform', 'pass-rate'] as const satisfies readonly PromptSamplingStrategy[];
export type PoolSamplingStrategy = (typeof POOL_SAMPLING_STRATEGIES)[number];

export interface PoolSamplingParams {
  readonly strategy: PoolSamplingStrategy;
  /** The weight of an always-solved or never-solved prompt, in (0, 1]; 1 is uniform. */
  readonly floor: number;
}

export const DEFAULT_SAMPLING_FLOOR = 0.1;

export interface SamplingRequest {
  /** The pool's prompt keys, distinct. */
  readonly keys: readonly string[];
  readonly state: CurriculumState;
  /** The step's sampling seed (an integer). */
  readonly seed: number;
}

const STAGE = 'curriculum.sampling';

export const samplingParamsChecks = (stage: string, params: PoolSamplingParams): Check[] => [
  oneOf(stage, 'strategy', params.strategy, POOL_SAMPLING_STRATEGIES),
  inRange(stage, 'floor', params.floor, { min: 0, max: 1, exclusiveMin: true }),
];

/** w of a prompt from its pass-rate window (the formula above); the window's rates must lie in [0, 1]. */
export const promptWeight =
  (params: PoolSamplingParams) =>
  (history: readonly number[]): number => {
    if (params.strategy === 'uniform' || history.length === 0) return 1;
    const p = history.reduce((a, b) => a + b, 0) / history.length;
    return params.floor + (1 - params.floor) * 4 * p * (1 - p);
  };

const keysChecks = (keys: readonly string[]): Check => () => {
  const first = new Map<string, number>();
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (typeof key !== 'string') return new StageError(STAGE, 'keys', i, 'invalid', `is ${String(key)}, expected a string`);
    const seen = first.get(key);
    if (seen !== undefined) return new StageError(STAGE, 'keys', i, 'invalid', `repeats ${JSON.stringify(key)} (first at index ${seen}); pool keys must be distinct`);
    first.set(key, i);
  }
  return undefined;
};

/** The weights w_i of the pool's prompts, in key order. */
export const promptWeights =
  (params: PoolSamplingParams) =>
  ({ keys, state }: Pick<SamplingRequest, 'keys' | 'state'>): E.Either<StageError, Float64Array> =>
    E.map(() => Float64Array.from(keys, (key) => promptWeight(params)(passRateHistory(key)(state))))(
      validate(...samplingParamsChecks(STAGE, params), keysChecks(keys)),
    );

/** The step's order of the pool: indices into `keys`, a permutation, drawn as above. */
export const samplingOrder =
  (params: PoolSamplingParams) =>
  (request: SamplingRequest): E.Either<StageError, number[]> =>
    E.chain((weights: Float64Array) =>
      E.map(() => {
        const rng = Rng.fromSeed(request.seed);
        const keyed = Array.from(weights, (w, index) => ({ index, key: Math.log(1 - rng.next()) / w }));
        keyed.sort((a, b) => b.key - a.key || a.index - b.index);
        return keyed.map(({ index }) => index);
      })(validate(integerIn(STAGE, 'seed', request.seed, {}))),
    )(promptWeights(params)(request));

/** The thin operator: each request's order; a bad request errors the stream with its StageError. */
export const orderPrompts = (params: PoolSamplingParams): OperatorFunction<SamplingRequest, number[]> =>
  map((request) => unwrap(samplingOrder(params)(request)));
