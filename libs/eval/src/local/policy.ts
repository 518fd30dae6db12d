/**
 * What local evaluation needs from a policy: batched generation (the rollout's `RolloutPolicy`)
 * and the input budgets, to set aside dataset items the model cannot read. `@rlflow/policy`'s
 * `Policy` satisfies it.
 */
import type { PolicyConfig } from '@rlflow/policy';
import type { RolloutPolicy } from '@rlflow/rollout';

export interface LocalEvalPolicy extends RolloutPolicy {
  readonly config: Pick<PolicyConfig, 'imageSize' | 'maxPromptTokens' | 'maxResponseTokens'>;
}
