/** Operator form of `apoSplit` (docs/algorithms.md §7): fills each batch's `positive` flags, 1 where A > 0. */
import { stageOperator, type Batch } from '@rlflow/core';
import type { OperatorFunction } from 'rxjs';
import { apoSplit } from '../split.js';

export const splitByAdvantageSign = (): OperatorFunction<Batch, Batch> => stageOperator(apoSplit);
