/**
 * What the rollout needs from a policy: batched sampling. `@rlflow/policy`'s `Policy` satisfies
 * it; tests use a fake that returns scripted responses.
 */
import type * as E from 'fp-ts/lib/Either.js';
import type { StageError } from '@rlflow/core';
import type { Generation, PromptInput, SamplingParams } from '@rlflow/policy';

export interface RolloutPolicy {
  /**
   * Samples one response per prompt row; the same seed gives the same samples. `logprobs` are
   * log π at temperature 1 (what `Policy.logProbs` recomputes), `samplerLogprobs` log q of the
   * distribution actually sampled from.
   */
  generate(prompts: readonly PromptInput[], sampling: SamplingParams, seed: number): E.Either<StageError, Generation>;
}
