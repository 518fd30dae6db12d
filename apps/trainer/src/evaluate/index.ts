/**
 * Local evaluation of a policy through the engine contract (libs/engine/src/contract.ts): the
 * held-out split of the synthetic suite (greedy, or avg@k over k sampled answers) and
 * benchmark-format datasets. The benchmark scorers and the statistics stay in @rlflow/eval.
 */
export type { SamplingEngine } from './engine.js';
export { localStats, type LocalStats, type AnsweredItem } from './stats.js';
export {
  answerGreedily,
  answerItems,
  planAnswers,
  readAnswers,
  GREEDY,
  DEFAULT_EVAL_BATCH,
  type AnswerBatch,
  type AnswerOptions,
  type AnswerSettings,
  type Decoding,
  type LocalItemResult,
} from './answer.js';
export { evaluateOnSuite, suiteProblems, summariseSuite, type SuiteEvalOptions, type SuiteSettings, type SuiteEvaluation, type SuiteItemResult } from './suite.js';
export {
  evaluateOnDataset,
  evaluateDatasetFile,
  evaluateCheckpointOnDataset,
  unreadableReason,
  type DatasetEvalOptions,
  type DatasetEvaluation,
  type DatasetFileEvaluation,
  type SkippedItem,
  type CheckpointEngineLoader,
} from './dataset.js';
export { formatSuiteTable } from './table.js';
