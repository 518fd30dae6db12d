/**
 * One rollout round: one `engine.sample` call over the items' prompts with G samples each
 * (prompt-major rows: item i's samples are rows i·G … i·G+G−1), then per item a group of its
 * G responses, decoded and scored (reward/score.ts):
 *
 *   reward_j = accuracy_j + λ·format_j (+ overlong_j),   j = 1 … G
 *
 * Per-token behaviour log-probs are the policy's log π at temperature 1 (`Samples.logprobs`,
 * what the engine's teacher-forced `forward` recomputes, so ratio ≡ 1 on-policy); the log-probs
 * of the filtered sampling distribution come along as `samplerLogp`.
 */
import * as E from 'fp-ts/lib/Either.js';
import { matrix, StageError, validate, type Matrix } from '@rlflow/core';
import type { SamplingParams, Samples } from '@rlflow/engine';
import { DEFAULT_REWARD, scoreGroup, type RewardConfig } from '../reward/score.js';
import type { PromptItem } from '../suite/problem.js';
import { BUILTIN_CODEC, type TextCodec } from '../text/codec.js';
import { integerAtLeast } from './checks.js';
import type { RolloutEngine } from './engine.js';
import { encodePrompt, promptInput } from './prompts.js';

export interface RolloutGroup<P extends PromptItem = PromptItem> {
  /** The item's `id`: stable identity of the prompt for per-prompt difficulty tracking. */
  readonly promptKey: string;
  readonly problem: P;
  /** Index of the sampling round that produced the group. */
  readonly round: number;
  readonly promptTokens: readonly number[];
  /** Response token ids of each sample, [G][L_j]; the end-of-sequence token included when emitted. */
  readonly tokens: ReadonlyArray<readonly number[]>;
  /** L_j, [G]. */
  readonly lengths: Int32Array;
  /** 1 when the sample emitted end-of-sequence within the budget, [G]. */
  readonly finished: Uint8Array;
  /** log π(token) of the behaviour policy at temperature 1, [G, T] (T = maxNewTokens); 0 where mask is 0. */
  readonly oldLogp: Matrix;
  /** log q(token) under the distribution sampled from (temperature, top-k, top-p), [G, T]. */
  readonly samplerLogp: Matrix;
  /** 1 for a generated token, [G, T]. */
  readonly mask: Matrix;
  /** Decoded response text (up to end-of-sequence), [G]. */
  readonly texts: readonly string[];
  readonly rewards: Float64Array;
  readonly correct: Uint8Array;
  readonly formatOk: Uint8Array;
}

export interface RoundOptions {
  readonly engine: RolloutEngine;
  /** G, samples per prompt. */
  readonly groupSize: number;
  readonly sampling: SamplingParams;
  /** Reward terms; `DEFAULT_REWARD` (accuracy + 0.5·format) when unset. */
  readonly reward?: RewardConfig;
  /** How prompts are encoded and responses decoded; the built-in tokenizer when unset. */
  readonly codec?: TextCodec;
}

const STAGE = 'rollout.round';

export const roundChecks = (options: RoundOptions) => [integerAtLeast(STAGE, 'groupSize', options.groupSize, 1)];

const sequence = <A>(items: ReadonlyArray<E.Either<StageError, A>>): E.Either<StageError, A[]> => {
  const out: A[] = [];
  for (const item of items) {
    if (E.isLeft(item)) return item;
    out.push(item.right);
  }
  return E.right(out);
};

const rowsOf = (m: Matrix, first: number, count: number): Matrix => matrix(count, m.cols, m.data.slice(first * m.cols, (first + count) * m.cols));

const groupOf =
  <P extends PromptItem>(options: RoundOptions, generation: Samples, round: number) =>
  (item: P, promptTokens: readonly number[], index: number): E.Either<StageError, RolloutGroup<P>> => {
    const g = options.groupSize;
    const first = index * g;
    const tokens = generation.tokens.slice(first, first + g);
    const lengths = Int32Array.from(generation.lengths.slice(first, first + g));
    const texts = sequence(
      tokens.map((row, j) => {
        const text = (options.codec ?? BUILTIN_CODEC).decodeResponse(row);
        return E.isLeft(text) ? E.left(new StageError(STAGE, `responses[${first + j}]`, text.left.index, text.left.kind, text.left.detail)) : text;
      }),
    );
    if (E.isLeft(texts)) return texts;
    const scores = scoreGroup(options.reward ?? DEFAULT_REWARD)(item)(texts.right.map((text, j) => ({ text, tokens: lengths[j]! })));
    if (E.isLeft(scores)) return scores;
    return E.right({
      promptKey: item.id,
      problem: item,
      round,
      promptTokens,
      tokens,
      lengths,
      finished: Uint8Array.from(generation.finished.slice(first, first + g), (f) => (f ? 1 : 0)),
      oldLogp: rowsOf(generation.logprobs, first, g),
      samplerLogp: rowsOf(generation.samplerLogprobs, first, g),
      mask: rowsOf(generation.mask, first, g),
      texts: texts.right,
      rewards: Float64Array.from(scores.right, (s) => s.reward),
      correct: Uint8Array.from(scores.right, (s) => (s.correct ? 1 : 0)),
      formatOk: Uint8Array.from(scores.right, (s) => (s.formatOk ? 1 : 0)),
    });
  };

/** The groups of `items` sampled in round `round` with `seed`: one `sample` call over items × G rows. */
export const rolloutRound =
  (options: RoundOptions) =>
  async <P extends PromptItem>(items: readonly P[], round: number, seed: number): Promise<E.Either<StageError, RolloutGroup<P>[]>> => {
    const checked = validate(...roundChecks(options));
    if (E.isLeft(checked)) return checked;
    if (items.length === 0) return E.right([]);
    const encoded = sequence(items.map(encodePrompt(STAGE, options.codec)));
    if (E.isLeft(encoded)) return encoded;
    const prompts = items.map((item, i) => promptInput(item, encoded.right[i]!));
    const generation = await options.engine.sample({ prompts, samplesPerPrompt: options.groupSize, sampling: options.sampling, seed });
    if (E.isLeft(generation)) return generation;
    return sequence(items.map((item, i) => groupOf<P>(options, generation.right, round)(item, encoded.right[i]!, i)));
  };
