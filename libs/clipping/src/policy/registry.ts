/**
 * The policy losses by name, as a configuration string picks them (verl's
 * `get_policy_loss_fn` registry): the plain float64 reference of each (value, metrics, analytic
 * ∂loss/∂logp). The tensor forms (gradient by tfjs autodiff) have their own registry under the
 * same names in @rlflow/policy/tensor.
 *
 * Reference: docs/algorithms.md §5; docs/architecture.md "Style to follow" (verl `core_algos.py`).
 */
import * as E from 'fp-ts/lib/Either.js';
import { StageError } from '@rlflow/core';
import { cispo } from './cispo.js';
import { gspo } from './gspo.js';
import { ppo } from './ppo.js';
import { POLICY_LOSS_NAMES, type PolicyLossInput, type PolicyLossName, type PolicyLossParams, type PolicyLossResult } from './types.js';

export interface PolicyLoss {
  readonly name: PolicyLossName;
  /** Whether `dualClipC` applies (the objective refuses it elsewhere). */
  readonly dualClip: boolean;
  readonly plain: (params: PolicyLossParams) => (input: PolicyLossInput) => E.Either<StageError, PolicyLossResult>;
}

export const policyLosses: Readonly<Record<PolicyLossName, PolicyLoss>> = {
  ppo: { name: 'ppo', dualClip: true, plain: ppo },
  gspo: { name: 'gspo', dualClip: false, plain: gspo },
  cispo: { name: 'cispo', dualClip: false, plain: cispo },
};

/** `name` is one of POLICY_LOSS_NAMES. */
export const isPolicyLossName = (name: string): name is PolicyLossName => (POLICY_LOSS_NAMES as readonly string[]).includes(name);

/** The error for a name that is not a policy loss, listing the names there are. */
export const unknownPolicyLoss = (name: string): StageError =>
  new StageError('policy', 'name', null, 'invalid', `is "${name}", expected one of ${POLICY_LOSS_NAMES.map((n) => `"${n}"`).join(', ')}`);

/** The loss a configuration string names, or a StageError listing the names there are. */
export const policyLossByName = (name: string): E.Either<StageError, PolicyLoss> =>
  isPolicyLossName(name) ? E.right(policyLosses[name]) : E.left(unknownPolicyLoss(name));
