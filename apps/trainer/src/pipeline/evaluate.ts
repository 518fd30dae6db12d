/**
 * Held-out evaluation during training, on the held-out split `eval.split` of the suite (validation
 * to choose settings, test to report), every `eval.every` steps
 * and at the end: greedy decoding as metric columns `eval/accuracy` and
 * `eval/accuracy/<family>/<level>`, and, with `eval.samples` = k > 0, k answers per problem at
 * the rollout's temperature and top-p as `eval/sampled_accuracy` (avg@k). The problems and the
 * sampling seeds are the same at every evaluation, so the curves compare like with like.
 */
import * as E from 'fp-ts/lib/Either.js';
import { deriveSeed, type StageError } from '@rlflow/core';
import type { Engine } from '@rlflow/engine';
import type { Family, Level } from '@rlflow/rollout';
import { evaluateOnSuite, GREEDY, type Decoding, type SuiteEvaluation } from '../evaluate/index.js';
import type { TrainConfig } from '../config/index.js';
import { evalCellKey, type MetricRow } from '../metrics/index.js';

/** The greedy evaluation and, when `eval.samples` > 0, the sampled one. */
export interface HeldOutEvaluation {
  readonly greedy: SuiteEvaluation;
  readonly sampled: SuiteEvaluation | undefined;
}

const evaluateWith = (config: TrainConfig, engine: Engine, decoding: Decoding): Promise<E.Either<StageError, SuiteEvaluation>> =>
  evaluateOnSuite({
    engine,
    split: config.eval.split,
    families: config.eval.families as readonly Family[],
    levels: config.eval.levels as readonly Level[],
    problemsPerCell: config.eval.problemsPerCell,
    maxNewTokens: config.rollout.maxNewTokens,
    seed: deriveSeed(config.seed, 'held-out'),
    decoding,
  });

export const evaluateHeldOut = async (config: TrainConfig, engine: Engine): Promise<E.Either<StageError, HeldOutEvaluation>> => {
  const greedy = await evaluateWith(config, engine, GREEDY);
  if (E.isLeft(greedy) || config.eval.samples === 0) return E.map((g: SuiteEvaluation) => ({ greedy: g, sampled: undefined }))(greedy);
  const sampled = await evaluateWith(config, engine, { samples: config.eval.samples, temperature: config.rollout.temperature, topP: config.rollout.topP });
  return E.map((s: SuiteEvaluation) => ({ greedy: greedy.right, sampled: s }))(sampled);
};

export const evaluationColumns = ({ greedy, sampled }: HeldOutEvaluation): Record<string, number> => ({
  'eval/accuracy': greedy.overall.accuracy,
  'eval/format_rate': greedy.overall.formatRate,
  ...(sampled === undefined ? {} : { 'eval/sampled_accuracy': sampled.overall.accuracy }),
  ...Object.fromEntries(greedy.cells.map((cell) => [evalCellKey(cell.family, cell.level), cell.accuracy])),
});

export const withEvaluation = (row: MetricRow, evaluation: HeldOutEvaluation): MetricRow => ({ ...row, ...evaluationColumns(evaluation) });

/** Whether step `done` (1-based count of finished steps) evaluates. */
export const evaluatesAt = (config: TrainConfig, done: number): boolean =>
  done === config.steps || (config.eval.every > 0 && done % config.eval.every === 0);
