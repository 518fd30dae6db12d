/** Operator form of `gateGroups` (docs/algorithms.md §8): splits each set of groups into kept (0 < #{r > τ} ≤ N_max) and rejected. */
import { stageOperator } from '@rlflow/core';
import type { OperatorFunction } from 'rxjs';
import { gateGroups, type GateOutcome, type GateParams } from '../gate.js';

export const keepInformativeGroups = <G extends { readonly rewards: ArrayLike<number> }>(
  params: GateParams = {},
): OperatorFunction<readonly G[], GateOutcome<G>> => stageOperator(gateGroups<G>(params));
