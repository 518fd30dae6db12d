/**
 * The tensor policy losses by name, keyed by the same `PolicyLossName`s as @rlflow/clipping's
 * plain registry (`policyLosses`): the float32 form of each, whose gradient comes from tfjs
 * autodiff, the reference the engine's objective is tested against.
 *
 * Reference: docs/algorithms.md §5.
 */
import * as E from 'fp-ts/lib/Either.js';
import type { StageError } from '@rlflow/core';
import { isPolicyLossName, unknownPolicyLoss, type PolicyLossName } from '@rlflow/clipping';
import { cispoTensor } from './cispo.js';
import { gspoTensor } from './gspo.js';
import { ppoTensor } from './ppo.js';
import type { PolicyLossTensorInput, PolicyLossTensorParams, PolicyLossTensors } from './types.js';

export interface PolicyLossTensor {
  readonly name: PolicyLossName;
  readonly tensor: (params: PolicyLossTensorParams) => (input: PolicyLossTensorInput) => E.Either<StageError, PolicyLossTensors>;
}

export const tensorPolicyLosses: Readonly<Record<PolicyLossName, PolicyLossTensor>> = {
  ppo: { name: 'ppo', tensor: ppoTensor },
  gspo: { name: 'gspo', tensor: gspoTensor },
  cispo: { name: 'cispo', tensor: cispoTensor },
};

/** The tensor loss a configuration string names, or the same StageError as `policyLossByName`. */
export const tensorPolicyLossByName = (name: string): E.Either<StageError, PolicyLossTensor> =>
  isPolicyLossName(name) ? E.right(tensorPolicyLosses[name]) : E.left(unknownPolicyLoss(name));
