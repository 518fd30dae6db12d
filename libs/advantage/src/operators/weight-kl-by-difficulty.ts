/** Operator form of `dadsStageWith` (docs/algorithms.md §7, DADS): fills each batch's `klWeights`, w = 1 − exp(−e·(1 − d)) for positives. */
import { stageOperator, type Batch } from '@rlflow/core';
import type { OperatorFunction } from 'rxjs';
import { dadsStageWith, type DadsParams } from '../dads.js';

export const weightKlByDifficulty = (params: DadsParams = {}): OperatorFunction<Batch, Batch> => stageOperator(dadsStageWith(params));
