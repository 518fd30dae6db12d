/**
 * The policy losses by name, as a configuration string picks them (verl's
 * `get_policy_loss_fn` registry): each entry has its plain float64 reference (value, metrics,
 * analytic ∂loss/∂logp) and its tensor form (gradient by tfjs autodiff).
 *
 * Reference: docs/algorithms.md §5; docs/architecture.md "Style to follow" (verl `core_algos.py`).
 */
import * as E from 'fp-ts/lib/Either.js';
import { StageError } from '@rlflow/core';
import type { LossAggregation } from '../aggregation.js';
import { cispo } from './cispo.js';
import { cispoTensor } from './cispo.tensor.js';
import { gspo } from './gspo.js';
import { gspoTensor } from './gspo.tensor.js';
import { ppo } from './ppo.js';
import { ppoTensor } from './ppo.tensor.js';
import {
  POLICY_LOSS_NAMES,
  type PolicyLossInput,
  type PolicyLossName,
  type PolicyLossParams,
  type PolicyLossResult,
  type PolicyLossTensorInput,
  type PolicyLossTensorParams,
  type PolicyLossTensors,
} from './types.js';

export interface PolicyLoss {
  readonly name: PolicyLossName;
  /** The aggregation used when `lossAgg` is not given. */
  readonly defaultLossAgg: LossAggregation;
  /** Whether `dualClipC` applies. */
  readonly dualClip: boolean;
  readonly plain: (params: PolicyLossParams) => (input: PolicyLossInput) => E.Either<StageError, PolicyLossResult>;
  readonly tensor: (params: PolicyLossTensorParams) => (input: PolicyLossTensorInput) => E.Either<StageError, PolicyLossTensors>;
}

export const policyLosses: Readonly<Record<PolicyLossName, PolicyLoss>> = {
  ppo: { name: 'ppo', defaultLossAgg: 'token-mean', dualClip: true, plain: ppo, tensor: ppoTensor },
  gspo: { name: 'gspo', defaultLossAgg: 'seq-mean-token-mean', dualClip: false, plain: gspo, tensor: gspoTensor },
  cispo: { name: 'cispo', defaultLossAgg: 'token-mean', dualClip: false, plain: cispo, tensor: cispoTensor },
};

const isPolicyLossName = (name: string): name is PolicyLossName => (POLICY_LOSS_NAMES as readonly string[]).includes(name);

/** The loss a configuration string names, or a StageError listing the names there are. */
export const policyLossByName = (name: string): E.Either<StageError, PolicyLoss> =>
  isPolicyLossName(name)
    ? E.right(policyLosses[name])
    : E.left(new StageError('policy', 'name', null, 'invalid', `is "${name}", expected one of ${POLICY_LOSS_NAMES.map((n) => `"${n}"`).join(', ')}`));
