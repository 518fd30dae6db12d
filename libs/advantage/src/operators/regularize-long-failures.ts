/** Operator form of `stcrStage` (docs/algorithms.md §7, STCR): scales the advantage of long failures by m = 1 + (1 − b^(−Δ)). */
import { stageOperator, type Batch } from '@rlflow/core';
import type { OperatorFunction } from 'rxjs';
import { stcrStage, type StcrParams } from '../stcr.js';

export const regularizeLongFailures = (params: StcrParams = {}): OperatorFunction<Batch, Batch> => stageOperator(stcrStage(params));
