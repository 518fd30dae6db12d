/**
 * RxJS operator over `clipBoundsStage`: each batch gets `clipBounds` from `kernel`
 * (docs/algorithms.md §4); a bad batch errors the stream with its StageError.
 */
import { stageOperator, type Batch } from '@rlflow/core';
import type { OperatorFunction } from 'rxjs';
import type { ClipBoundsKernel } from './bounds.js';
import { clipBoundsStage } from './clip-bounds.stage.js';

export const clipBounds = (kernel: ClipBoundsKernel): OperatorFunction<Batch, Batch> => stageOperator(clipBoundsStage(kernel));
