/**
 * The codec of `TrainConfig` (every range written out; every set of names the library's own list)
 * and the checks that relate two fields. `decodeTrainConfig` runs both and reports every problem
 * at once.
 */
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { advantageEstimatorNames } from '@rlflow/advantage';
import { KL_ESTIMATORS, LOSS_AGGREGATIONS, POLICY_LOSS_NAMES } from '@rlflow/clipping';
import { literalUnion } from '@rlflow/core';
import { PROMPT_SAMPLING_STRATEGIES, reuseScheduleKinds } from '@rlflow/curriculum';
import { BACKEND_CHOICES } from '@rlflow/policy';
import { FAMILIES, HELD_OUT_SPLITS, LEVELS } from '@rlflow/rollout';
import {
  anyOf,
  booleanFlag,
  closed,
  distinctList,
  finiteNumber,
  integerAtLeast,
  integerIn,
  leaf,
  nonEmptyString,
  nullable,
  numberIn,
  pairOf,
} from './codecs.js';
import { ENGINE_CHOICES } from '../engines.js';
import { isSftRecipe, SFT_RECIPE_NAMES, sftRecipeOfInit } from '../sft/config.js';
import { VISION_TOKEN_RULE_NAMES } from '@rlflow/tinker/vision-tokens';
import { ConfigError, formatConfigErrors } from './errors.js';
import { CLIP_MODES, LR_SCHEDULES, NORM_CONSTANT_REFERENCES, PRESET_NAMES, type TrainConfig } from './types.js';

const family = literalUnion(FAMILIES);
const level = literalUnion(LEVELS);
const families = distinctList(family, `a non-empty list of distinct task families (${FAMILIES.map((f) => JSON.stringify(f)).join(', ')})`);
const levels = distinctList(level, `a non-empty list of distinct levels (${LEVELS.join(', ')})`);
const lossAgg = literalUnion(LOSS_AGGREGATIONS);

const algorithm = closed({
  name: nonEmptyString,
  advantage: literalUnion(advantageEstimatorNames),
  advantageEps: numberIn(0, 1, { lo: true }),
  policyLoss: literalUnion(POLICY_LOSS_NAMES),
  lossAgg,
  normConstant: anyOf(numberIn(0, 1e9, { lo: true }), literalUnion(NORM_CONSTANT_REFERENCES)),
});

const rollout = closed({
  groupSize: integerAtLeast(2),
  promptsPerStep: integerAtLeast(1),
  maxNewTokens: integerIn(1, 4096),
  temperature: numberIn(0, 10, { lo: true }),
  topP: numberIn(0, 1, { lo: true }),
  topK: integerAtLeast(0),
  maxAttempts: integerAtLeast(1),
  families,
  levels,
  dataset: nullable(nonEmptyString),
});

const clip = closed({
  mode: literalUnion(CLIP_MODES),
  epsLow: numberIn(0, 1),
  epsHigh: numberIn(0, 10),
  epsLow0: numberIn(0, 1),
  epsHigh0: numberIn(0, 10),
  deltaLow: numberIn(0, 1),
  deltaHigh: numberIn(0, 10),
  kappa: numberIn(0, 100, { lo: true }),
  dualClipC: nullable(numberIn(1, 100, { lo: true })),
});

const kl = closed({
  coef: numberIn(0, 100),
  estimator: literalUnion(KL_ESTIMATORS),
  lossAgg,
});

const curriculum = closed({
  gate: booleanFlag,
  tau: finiteNumber,
  nMax: nullable(integerAtLeast(1)),
  schedule: literalUnion(reuseScheduleKinds),
  kMin: integerIn(1, 64),
  kMax: integerIn(1, 64),
  warmupFrac: numberIn(0, 1),
  adaptive: closed({
    targetKl: numberIn(0, 10, { lo: true }),
    targetClipFrac: numberIn(0, 1, { lo: true }),
  }),
  miniBatches: integerAtLeast(1),
  sampling: closed({
    strategy: literalUnion(PROMPT_SAMPLING_STRATEGIES),
    pool: integerAtLeast(1),
    floor: numberIn(0, 1, { lo: true }),
  }),
});

const apo = closed({
  dads: booleanFlag,
  stcr: booleanFlag,
  stcrBase: numberIn(1, 10, { lo: true }),
});

const papo = closed({
  enabled: booleanFlag,
  gamma: numberIn(0, 10),
  eta: numberIn(0, 10),
  maskProb: numberIn(0, 1),
  lossAgg,
});

const entropy = closed({
  coef: numberIn(0, 100),
  lossAgg,
});

const reward = closed({
  formatWeight: numberIn(0, 1),
  overlong: closed({
    enabled: booleanFlag,
    maxLen: integerAtLeast(1),
    bufferLen: integerAtLeast(1),
    penaltyFactor: numberIn(0, 100),
  }),
});

const optimizer = closed({
  lr: numberIn(0, 1, { lo: true }),
  weightDecay: numberIn(0, 1),
  betas: pairOf(numberIn(0, 1, { hi: true }), 'a list of 2 numbers in [0, 1)'),
  eps: numberIn(0, 1, { lo: true }),
  warmupSteps: integerAtLeast(0),
  schedule: literalUnion(LR_SCHEDULES),
  maxGradNorm: nullable(numberIn(0, 1e6, { lo: true })),
  microBatchTokens: integerAtLeast(1),
});

const checkpoint = closed({
  every: integerAtLeast(0),
  keep: integerAtLeast(1),
});

const evaluation = closed({
  split: literalUnion(HELD_OUT_SPLITS),
  every: integerAtLeast(0),
  problemsPerCell: integerAtLeast(1),
  samples: integerAtLeast(0),
  families,
  levels,
  dataset: nullable(nonEmptyString),
});

const remote = closed({
  url: nullable(nonEmptyString),
  baseModel: nullable(nonEmptyString),
  loraRank: integerAtLeast(0),
  imageTokens: literalUnion(['builtin', ...VISION_TOKEN_RULE_NAMES]),
  tokenizer: nullable(nonEmptyString),
  imageSize: nullable(integerIn(1, 8192)),
  maxPromptTokens: nullable(integerAtLeast(1)),
  maxResponseTokens: nullable(integerAtLeast(1)),
  pollTimeoutMs: integerAtLeast(1),
  requestTimeoutMs: integerAtLeast(1),
  retryBaseDelayMs: integerAtLeast(1),
  deadlineMs: integerAtLeast(1),
  builtinLosses: booleanFlag,
});

const guard = closed({
  maxNonFiniteInARow: integerAtLeast(1),
});

/** `sft` or `sft:RECIPE` (a recipe sft/config.ts registers), `scratch`, or a checkpoint directory. */
const initSource: t.Type<string, string, unknown> = leaf(
  `"sft", "sft:RECIPE" (RECIPE one of ${SFT_RECIPE_NAMES.join(', ')}), "scratch" or a checkpoint directory`,
  (u): u is string => {
    if (typeof u !== 'string' || u.length === 0) return false;
    const recipe = sftRecipeOfInit(u);
    return recipe === null || isSftRecipe(recipe);
  },
);

export const TrainConfigCodec: t.Type<TrainConfig, TrainConfig, unknown> = closed({
  preset: nullable(literalUnion(PRESET_NAMES)),
  steps: integerAtLeast(1),
  seed: integerIn(0, 0xffffffff),
  engine: literalUnion(ENGINE_CHOICES),
  backend: literalUnion(BACKEND_CHOICES),
  init: initSource,
  remote,
  algorithm,
  rollout,
  clip,
  kl,
  curriculum,
  apo,
  papo,
  entropy,
  reward,
  optimizer,
  checkpoint,
  eval: evaluation,
  guard,
});

/** Problems between fields that each decode on their own. */
export const consistencyProblems = (config: TrainConfig): string[] => {
  const problems: string[] = [];
  const { curriculum: cur, rollout: roll, reward: rew } = config;
  if (cur.kMax < cur.kMin) problems.push(`curriculum.kMax: expected an integer ≥ curriculum.kMin (${cur.kMin}), found ${cur.kMax}`);
  if (cur.nMax !== null && cur.nMax > roll.groupSize) {
    problems.push(`curriculum.nMax: expected an integer ≤ rollout.groupSize (${roll.groupSize}) or null, found ${cur.nMax}`);
  }
  if (cur.sampling.strategy !== 'fresh' && cur.sampling.pool < roll.promptsPerStep) {
    problems.push(`curriculum.sampling.pool: expected an integer ≥ rollout.promptsPerStep (${roll.promptsPerStep}), found ${cur.sampling.pool}`);
  }
  if (rew.overlong.bufferLen > rew.overlong.maxLen) {
    problems.push(`reward.overlong.bufferLen: expected an integer ≤ reward.overlong.maxLen (${rew.overlong.maxLen}), found ${rew.overlong.bufferLen}`);
  }
  if (rew.overlong.enabled && rew.overlong.maxLen > roll.maxNewTokens) {
    problems.push(`reward.overlong.maxLen: expected an integer ≤ rollout.maxNewTokens (${roll.maxNewTokens}), found ${rew.overlong.maxLen}`);
  }
  if (config.optimizer.warmupSteps > config.steps) {
    problems.push(`optimizer.warmupSteps: expected an integer ≤ steps (${config.steps}), found ${config.optimizer.warmupSteps}`);
  }
  return problems;
};

/** Decodes a fully merged configuration value: field codecs first, then the cross-field checks. */
export const decodeTrainConfig = (input: unknown): E.Either<ConfigError, TrainConfig> => {
  const decoded = TrainConfigCodec.decode(input);
  if (E.isLeft(decoded)) return E.left(new ConfigError(formatConfigErrors(decoded.left)));
  const problems = consistencyProblems(decoded.right);
  return problems.length > 0 ? E.left(new ConfigError(problems)) : E.right(decoded.right);
};
