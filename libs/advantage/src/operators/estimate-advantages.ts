/** Operator form of `advantageStage` (docs/algorithms.md §1): fills each batch's `advantages` with the estimator's output. */
import { stageOperator, type Batch } from '@rlflow/core';
import type { OperatorFunction } from 'rxjs';
import { advantageStage } from '../advantage-stage.js';
import type { AdvantageKernel } from '../kernel.js';

export const estimateAdvantages = (estimator: AdvantageKernel): OperatorFunction<Batch, Batch> => stageOperator(advantageStage(estimator));
