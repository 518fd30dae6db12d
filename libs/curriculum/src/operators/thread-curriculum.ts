/**
 * Threads the curriculum state through a stream of step summaries with `scan` (docs/algorithms.md §8,
 * docs/architecture.md "The flow"): emits next = reduce(config)(state, summary) per summary, and errors the
 * stream with the reducer's StageError on a bad summary.
 */
import { unwrap, type StepSummary } from '@rlflow/core';
import { scan, type OperatorFunction } from 'rxjs';
import type { CurriculumConfig } from '../config.js';
import { reduce } from '../reduce.js';
import type { CurriculumState } from '../state.js';

export const threadCurriculum = (config: CurriculumConfig, initial: CurriculumState): OperatorFunction<StepSummary, CurriculumState> =>
  scan((state: CurriculumState, summary: StepSummary) => unwrap(reduce(config)(state, summary)), initial);
