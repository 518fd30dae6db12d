/**
 * Transitional: the in-process `Policy` seen through the engine contract's `sample`, for callers
 * that still hold a Policy rather than an `Engine` (the TF.js engine, `createTfjsEngine`, takes
 * its place): `rlflow eval-local`, and the synchronous held-out evaluations of the training loop
 * (pipeline/evaluate.ts) and of the SFT warm start (sft/store.ts). Delete it once they hold an
 * `Engine`.
 *
 *   sample({prompts, samplesPerPrompt: G, sampling, seed})
 *     = policy.generate(each prompt repeated G times, prompt-major, sampling, seed)
 *
 * so the answers are the ones the rollout's `rolloutRound` would draw with the same seed.
 */
import * as E from 'fp-ts/lib/Either.js';
import { StageError, type Check, validate } from '@rlflow/core';
import type { SampleRequest, Samples } from '@rlflow/engine';
import type { Generation, PolicyConfig } from '@rlflow/policy';
import type { PromptItem, RolloutPolicy } from '@rlflow/rollout';
import { GREEDY, planAnswers, readAnswers, type AnswerSettings, type Decoding, type LocalItemResult } from './answer.js';
import type { SamplingEngine } from './engine.js';
import { suiteChecks, suiteProblems, summariseSuite, type SuiteEvaluation, type SuiteSettings } from './suite.js';

/** Batched generation and the input budgets; `@rlflow/policy`'s `Policy` is one. */
export interface LocalEvalPolicy extends RolloutPolicy {
  readonly config: Pick<PolicyConfig, 'imageSize' | 'maxPromptTokens' | 'maxResponseTokens'>;
}

const samplesPerPromptCheck = (request: SampleRequest): Check => () =>
  Number.isSafeInteger(request.samplesPerPrompt) && request.samplesPerPrompt >= 1
    ? undefined
    : new StageError('eval.policy', 'samplesPerPrompt', null, 'out-of-range', `is ${request.samplesPerPrompt}, expected an integer ≥ 1`);

/** A `sample` request answered by `policy.generate`. */
export const sampleWithPolicy = (policy: RolloutPolicy, request: SampleRequest): E.Either<StageError, Samples> => {
  const checked = validate(samplesPerPromptCheck(request));
  if (E.isLeft(checked)) return checked;
  const rows = request.prompts.flatMap((prompt) => Array.from({ length: request.samplesPerPrompt }, () => prompt));
  return E.map((g: Generation): Samples => ({ tokens: g.tokens, lengths: g.lengths, finished: g.finished, logprobs: g.logprobs, samplerLogprobs: g.samplerLogprobs, mask: g.mask }))(
    policy.generate(rows, request.sampling, request.seed),
  );
};

/** The policy as the evaluator's engine. */
export const policySamplingEngine = (policy: LocalEvalPolicy): SamplingEngine => ({
  info: { imageSize: policy.config.imageSize, maxPromptTokens: policy.config.maxPromptTokens, maxResponseTokens: policy.config.maxResponseTokens },
  sample: async (request) => sampleWithPolicy(policy, request),
});

/** answer.ts's `answerItems`, synchronously, with the policy. */
export const answerItemsWithPolicy = (
  policy: LocalEvalPolicy,
  settings: AnswerSettings,
  items: readonly PromptItem[],
  decoding: Decoding = GREEDY,
): E.Either<StageError, LocalItemResult[]> => {
  const batches = planAnswers(settings, policySamplingEngine(policy), items, decoding);
  if (E.isLeft(batches)) return batches;
  const results: LocalItemResult[] = [];
  for (const batch of batches.right) {
    const samples = sampleWithPolicy(policy, batch.request);
    if (E.isLeft(samples)) return samples;
    const answers = readAnswers(batch, samples.right, settings.reward);
    if (E.isLeft(answers)) return answers;
    results.push(...answers.right);
  }
  return E.right(results);
};

/** suite.ts's `evaluateOnSuite`, synchronously, with the policy: the same problems, answers and figures. */
export const evaluateOnSuiteWithPolicy = (options: SuiteSettings & { readonly policy: LocalEvalPolicy }): E.Either<StageError, SuiteEvaluation> => {
  const checked = validate(...suiteChecks(options));
  if (E.isLeft(checked)) return checked;
  const problems = suiteProblems(options);
  if (E.isLeft(problems)) return problems;
  const decoding = options.decoding ?? GREEDY;
  const answers = answerItemsWithPolicy(options.policy, options, problems.right, decoding);
  return E.map((right: LocalItemResult[]) => summariseSuite(options, problems.right, right, decoding))(answers);
};
