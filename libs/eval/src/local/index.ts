export type { LocalEvalPolicy } from './policy.js';
export { localStats, type LocalStats, type AnsweredItem } from './stats.js';
export { answerGreedily, answerItems, GREEDY, DEFAULT_EVAL_BATCH, type AnswerOptions, type Decoding, type LocalItemResult } from './answer.js';
export { evaluateOnSuite, suiteProblems, type SuiteEvalOptions, type SuiteEvaluation, type SuiteItemResult } from './suite.js';
export {
  evaluateOnDataset,
  evaluateDatasetFile,
  evaluateCheckpointOnDataset,
  unreadableReason,
  type DatasetEvalOptions,
  type DatasetEvaluation,
  type DatasetFileEvaluation,
  type SkippedItem,
  type CheckpointPolicyLoader,
} from './dataset.js';
export { formatSuiteTable } from './table.js';
