/**
 * Held-out evaluation during training: greedy decoding on the test split of the suite, every
 * `eval.every` steps and at the end, as metric columns `eval/accuracy` and
 * `eval/accuracy/<family>/<level>`. The problems are the same at every evaluation (fixed seed),
 * so the curve compares like with like.
 */
import * as E from 'fp-ts/lib/Either.js';
import { deriveSeed, type StageError } from '@rlflow/core';
import { evaluateOnSuite, type SuiteEvaluation } from '@rlflow/eval';
import type { Family, Level } from '@rlflow/rollout';
import type { Policy } from '@rlflow/policy';
import type { TrainConfig } from '../config/index.js';
import { evalCellKey, type MetricRow } from '../metrics/index.js';

export const evaluateHeldOut = (config: TrainConfig, policy: Policy): E.Either<StageError, SuiteEvaluation> =>
  evaluateOnSuite({
    policy,
    families: config.eval.families as readonly Family[],
    levels: config.eval.levels as readonly Level[],
    problemsPerCell: config.eval.problemsPerCell,
    maxNewTokens: config.rollout.maxNewTokens,
    seed: deriveSeed(config.seed, 'held-out'),
  });

export const evaluationColumns = (evaluation: SuiteEvaluation): Record<string, number> => ({
  'eval/accuracy': evaluation.overall.accuracy,
  'eval/format_rate': evaluation.overall.formatRate,
  ...Object.fromEntries(evaluation.cells.map((cell) => [evalCellKey(cell.family, cell.level), cell.accuracy])),
});

export const withEvaluation = (row: MetricRow, evaluation: SuiteEvaluation): MetricRow => ({ ...row, ...evaluationColumns(evaluation) });

/** Whether step `done` (1-based count of finished steps) evaluates. */
export const evaluatesAt = (config: TrainConfig, done: number): boolean =>
  done === config.steps || (config.eval.every > 0 && done % config.eval.every === 0);
