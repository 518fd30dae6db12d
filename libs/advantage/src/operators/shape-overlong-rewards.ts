/** Operator form of `overlongStage` (docs/algorithms.md §9, DAPO): adds min(−(L − (maxLen − buffer))/buffer · factor, 0) to each reward. */
import { stageOperator, type Batch } from '@rlflow/core';
import type { OperatorFunction } from 'rxjs';
import { overlongStage, type OverlongParams } from '../overlong.js';

export const shapeOverlongRewards = (params: OverlongParams): OperatorFunction<Batch, Batch> => stageOperator(overlongStage(params));
