/**
 * Held-out evaluation during training, on the held-out split `eval.split` of the suite (validation
 * to choose settings, test to report), every `eval.every` steps
 * and at the end: greedy decoding as metric columns `eval/accuracy` and
 * `eval/accuracy/<family>/<level>`, and, with `eval.samples` = k > 0, k answers per problem at
 * the rollout's temperature and top-p as `eval/sampled_accuracy` (avg@k). The problems and the
 * sampling seeds are the same at every evaluation, so the curves compare like with like.
 * With `eval.dataset` (prompts.ts) the held-out items are that file's, answered the same way
 * through the engine's sampler and scored by the verifiers (no per-cell columns); the run's text
 * codec encodes every prompt and decodes every answer.
 */
import * as E from 'fp-ts/lib/Either.js';
import { deriveSeed, type StageError } from '@rlflow/core';
import type { Engine } from '@rlflow/engine';
import type { Family, Level } from '@rlflow/rollout';
import { answerItems, evaluateOnSuite, GREEDY, localStats, type Decoding, type LocalStats, type SuiteEvaluation } from '../evaluate/index.js';
import type { TrainConfig } from '../config/index.js';
import { evalCellKey, type MetricRow } from '../metrics/index.js';
import { BUILTIN_PROMPTS, type RunPrompts } from './prompts.js';

/** What the metrics take from an evaluation: the suite's, or a held-out dataset's (no cells). */
export interface HeldOutResult {
  readonly decoding: Decoding;
  readonly overall: LocalStats;
  readonly cells: SuiteEvaluation['cells'];
}

/** The greedy evaluation and, when `eval.samples` > 0, the sampled one. */
export interface HeldOutEvaluation<R extends HeldOutResult = SuiteEvaluation> {
  readonly greedy: R;
  readonly sampled: R | undefined;
}

export const isSuiteEvaluation = (evaluation: HeldOutEvaluation<HeldOutResult>): evaluation is HeldOutEvaluation =>
  'byFamily' in evaluation.greedy && (evaluation.sampled === undefined || 'byFamily' in evaluation.sampled);

const evaluateWith = (config: TrainConfig, engine: Engine, decoding: Decoding, prompts: RunPrompts): Promise<E.Either<StageError, HeldOutResult>> => {
  const settings = { engine, maxNewTokens: config.rollout.maxNewTokens, seed: deriveSeed(config.seed, 'held-out'), codec: prompts.codec };
  if (prompts.heldOut !== null) {
    return answerItems(settings, prompts.heldOut, decoding).then(E.map((items) => ({ decoding, overall: localStats(items), cells: [] })));
  }
  return evaluateOnSuite({
    ...settings,
    engine,
    split: config.eval.split,
    families: config.eval.families as readonly Family[],
    levels: config.eval.levels as readonly Level[],
    problemsPerCell: config.eval.problemsPerCell,
    decoding,
  });
};

/** The held-out evaluation: the suite's test split (a SuiteEvaluation) without `eval.dataset`. */
export async function evaluateHeldOut(config: TrainConfig, engine: Engine): Promise<E.Either<StageError, HeldOutEvaluation>>;
export async function evaluateHeldOut(config: TrainConfig, engine: Engine, prompts: RunPrompts): Promise<E.Either<StageError, HeldOutEvaluation<HeldOutResult>>>;
export async function evaluateHeldOut(config: TrainConfig, engine: Engine, prompts: RunPrompts = BUILTIN_PROMPTS): Promise<E.Either<StageError, HeldOutEvaluation<HeldOutResult>>> {
  const greedy = await evaluateWith(config, engine, GREEDY, prompts);
  if (E.isLeft(greedy) || config.eval.samples === 0) return E.map((g: HeldOutResult) => ({ greedy: g, sampled: undefined }))(greedy);
  const sampled = await evaluateWith(config, engine, { samples: config.eval.samples, temperature: config.rollout.temperature, topP: config.rollout.topP }, prompts);
  return E.map((s: HeldOutResult) => ({ greedy: greedy.right, sampled: s }))(sampled);
}

export const evaluationColumns = ({ greedy, sampled }: HeldOutEvaluation<HeldOutResult>): Record<string, number> => ({
  'eval/accuracy': greedy.overall.accuracy,
  'eval/format_rate': greedy.overall.formatRate,
  ...(sampled === undefined ? {} : { 'eval/sampled_accuracy': sampled.overall.accuracy }),
  ...Object.fromEntries(greedy.cells.map((cell) => [evalCellKey(cell.family, cell.level), cell.accuracy])),
});

export const withEvaluation = (row: MetricRow, evaluation: HeldOutEvaluation<HeldOutResult>): MetricRow => ({ ...row, ...evaluationColumns(evaluation) });

/** Whether step `done` (1-based count of finished steps) evaluates. */
export const evaluatesAt = (config: TrainConfig, done: number): boolean =>
  done === config.steps || (config.eval.every > 0 && done % config.eval.every === 0);
