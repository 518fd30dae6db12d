export type { RolloutEngine } from './engine.js';
export { takePrompts, encodePrompt, promptInput } from './prompts.js';
export { rolloutRound, type RolloutGroup, type RoundOptions } from './group.js';
export { pullRound, roundSeed, type PullOptions } from './pull.js';
export { collectBatch, type BatchOptions, type BatchCounts, type RolloutBatch, type SeenGroup } from './refill.js';
export { groupsToBatch } from './to-batch.js';
export { pullGroups } from './operators/pull-groups.js';
export { rolloutBatch } from './rollout-batch.js';
export { scoreRollout, scoreRollouts, rolloutSequences, type ScoredRollout, type ScoreOptions, type ScoringEngine } from './score.js';
