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

/** Argmax decoding of up to `maxNewTokens` tokens. */
export const greedySampling = (maxNewTokens: number): SamplingParams => ({ temperature: 0, topP: 1, topK: 0, maxNewTokens });

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

/** One greedy answer per item, in item order. */
export const answerGreedily = (options: AnswerOptions, items: readonly PromptItem[]): E.Either<StageError, LocalItemResult[]> => {
  const checked = validate(...answerChecks('eval.local', options));
  if (E.isLeft(checked)) return checked;
  const batchSize = options.batchSize ?? DEFAULT_EVAL_BATCH;
  const round = rolloutRound({ policy: options.policy, groupSize: 1, sampling: greedySampling(options.maxNewTokens), reward: options.reward ?? DEFAULT_REWARD });
  const results: LocalItemResult[] = [];
  for (let start = 0, batch = 0; start < items.length; start += batchSize, batch++) {
    const groups = round(items.slice(start, start + batchSize), batch, deriveSeed(options.seed, `eval/batch/${batch}`));
    if (E.isLeft(groups)) return groups;
    for (const g of groups.right) {
      results.push({
        id: g.promptKey,
        text: g.texts[0]!,
        length: g.lengths[0]!,
        correct: g.correct[0] === 1,
        formatOk: g.formatOk[0] === 1,
        reward: g.rewards[0]!,
      });
    }
  }
  return E.right(results);
};
