/**
 * Greedy answers for evaluation: every item answered once (a rollout with G = 1) with
 * temperature 0, which `@rlflow/policy`'s sampler defines as argmax decoding, so the answers do
 * not depend on the seed. Items go to the policy in batches of `batchSize` rows, one `generate`
 * call per batch, and are scored by the rollout's verifiers (accuracy, format).
 */
import * as E from 'fp-ts/lib/Either.js';
import { deriveSeed, StageError, type Check, validate } from '@rlflow/core';
import type { SamplingParams } from '@rlflow/policy';
import { DEFAULT_REWARD, rolloutRound, type PromptItem, type RewardConfig, type RolloutPolicy } from '@rlflow/rollout';

export const DEFAULT_EVAL_BATCH = 64;

export interface AnswerOptions {
  readonly policy: RolloutPolicy;
  readonly maxNewTokens: number;
  /** Rows per `generate` call (default 64). */
  readonly batchSize?: number;
  readonly seed: number;
  readonly reward?: RewardConfig;
}

export interface LocalItemResult {
  readonly id: string;
  readonly text: string;
  /** Response tokens, end-of-sequence included when emitted. */
  readonly length: number;
  readonly correct: boolean;
  readonly formatOk: boolean;
  readonly reward: number;
}

const positiveInteger =
  (stage: string, field: string, n: number): Check =>
  () =>
    Number.isSafeInteger(n) && n >= 1 ? undefined : new StageError(stage, field, null, 'out-of-range', `is ${n}, expected an integer ≥ 1`);

export const answerChecks = (stage: string, options: Pick<AnswerOptions, 'maxNewTokens' | 'batchSize'>): Check[] => [
  positiveInteger(stage, 'maxNewTokens', options.maxNewTokens),
  positiveInteger(stage, 'batchSize', options.batchSize ?? DEFAULT_EVAL_BATCH),
];

/**
 * How each item is answered: `samples` responses drawn at `temperature` with nucleus `topP`
 * (temperature 0: argmax decoding, and then one sample is all there is).
 */
export interface Decoding {
  readonly samples: number;
  readonly temperature: number;
  readonly topP: number;
}

export const GREEDY: Decoding = { samples: 1, temperature: 0, topP: 1 };

const decodingChecks = (stage: string, decoding: Decoding): Check[] => [
  positiveInteger(stage, 'decoding.samples', decoding.samples),
  () =>
    Number.isFinite(decoding.temperature) && decoding.temperature >= 0
      ? undefined
      : new StageError(stage, 'decoding.temperature', null, 'out-of-range', `is ${decoding.temperature}, expected a finite number ≥ 0`),
  () =>
    decoding.topP > 0 && decoding.topP <= 1 ? undefined : new StageError(stage, 'decoding.topP', null, 'out-of-range', `is ${decoding.topP}, expected a number in (0, 1]`),
  () =>
    decoding.temperature === 0 && decoding.samples !== 1
      ? new StageError(stage, 'decoding.samples', null, 'out-of-range', `is ${decoding.samples}; argmax decoding (temperature 0) gives one answer per item`)
      : undefined,
];

/**
 * `decoding.samples` answers per item, item-major (the answers of item i are at
 * i·samples … i·samples + samples − 1). Seeded per batch from `seed`, so the same seed gives the
 * same answers.
 */
export const answerItems = (options: AnswerOptions, items: readonly PromptItem[], decoding: Decoding = GREEDY): E.Either<StageError, LocalItemResult[]> => {
  const checked = validate(...answerChecks('eval.local', options), ...decodingChecks('eval.local', decoding));
  if (E.isLeft(checked)) return checked;
  const batchSize = Math.max(1, Math.floor((options.batchSize ?? DEFAULT_EVAL_BATCH) / decoding.samples));
  const sampling: SamplingParams = { temperature: decoding.temperature, topP: decoding.topP, topK: 0, maxNewTokens: options.maxNewTokens };
  const round = rolloutRound({ policy: options.policy, groupSize: decoding.samples, sampling, reward: options.reward ?? DEFAULT_REWARD });
  const results: LocalItemResult[] = [];
  for (let start = 0, batch = 0; start < items.length; start += batchSize, batch++) {
    const groups = round(items.slice(start, start + batchSize), batch, deriveSeed(options.seed, `eval/batch/${batch}`));
    if (E.isLeft(groups)) return groups;
    for (const g of groups.right) {
      g.texts.forEach((text, j) =>
        results.push({ id: g.promptKey, text, length: g.lengths[j]!, correct: g.correct[j] === 1, formatOk: g.formatOk[j] === 1, reward: g.rewards[j]! }),
      );
    }
  }
  return E.right(results);
};

/** One greedy answer per item, in item order. */
export const answerGreedily = (options: AnswerOptions, items: readonly PromptItem[]): E.Either<StageError, LocalItemResult[]> => answerItems(options, items, GREEDY);
