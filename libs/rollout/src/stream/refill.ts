/**
 * The curriculum's refill (docs/algorithms.md §8; DAPO §3.2 dynamic sampling): sample `promptsPerStep`
 * prompts × G, keep the groups the gate accepts, and sample as many new prompts as groups are
 * still missing, round after round, until the batch holds `promptsPerStep` kept groups, the
 * attempt limit (`maxAttempts` rounds) is reached or the prompt source runs out. Round r uses
 * the seed `deriveSeed(seed, "round/r")` (pull.ts), so the same seed and source give the same
 * batch.
 */
import * as E from 'fp-ts/lib/Either.js';
import { validate, type StageError } from '@rlflow/core';
import type { PromptItem } from '../suite/problem.js';
import { integerAtLeast } from './checks.js';
import type { RolloutGroup } from './group.js';
import { pullRound, type PullOptions } from './pull.js';

export interface BatchOptions<P extends PromptItem> extends PullOptions<P> {
  /** Kept groups wanted in the batch. */
  readonly promptsPerStep: number;
  /** Most sampling rounds (the first included). */
  readonly maxAttempts: number;
  /** Whether to keep a group, from its rewards (e.g. curriculum's `passesGate(params)`). */
  readonly gate: (rewards: ArrayLike<number>) => boolean;
}

export interface BatchCounts {
  readonly kept: number;
  readonly rejected: number;
  /** Sampling rounds run. */
  readonly attempts: number;
  /** Groups sampled: kept + rejected. */
  readonly generatedGroups: number;
}

/** A sampled group as the curriculum sees it: its prompt, pass rate (fraction correct) and fate. */
export interface SeenGroup {
  readonly promptKey: string;
  readonly passRate: number;
  /** Mean reward of its responses. */
  readonly meanReward: number;
  readonly kept: boolean;
}

export interface RolloutBatch<P extends PromptItem = PromptItem> {
  /** The kept groups, in sampling order: `promptsPerStep` of them unless the attempts or the source ran out. */
  readonly groups: readonly RolloutGroup<P>[];
  readonly counts: BatchCounts;
  /** Every sampled group, kept or not, in sampling order. */
  readonly seen: readonly SeenGroup[];
  /** True when the prompt source ran out before the batch was full. */
  readonly exhausted: boolean;
}

const STAGE = 'rollout.batch';

export const batchChecks = <P extends PromptItem>(options: BatchOptions<P>) => [
  integerAtLeast(STAGE, 'promptsPerStep', options.promptsPerStep, 1),
  integerAtLeast(STAGE, 'maxAttempts', options.maxAttempts, 1),
  integerAtLeast(STAGE, 'groupSize', options.groupSize, 1),
];

const meanOf = (values: ArrayLike<number>): number => Array.from(values).reduce((a, c) => a + c, 0) / Math.max(values.length, 1);
const passRate = meanOf;

/** Samples rounds until the batch is full, the attempts run out or the source does. */
export const collectBatch = async <P extends PromptItem>(options: BatchOptions<P>): Promise<E.Either<StageError, RolloutBatch<P>>> => {
  const checked = validate(...batchChecks(options));
  if (E.isLeft(checked)) return checked;
  const kept: RolloutGroup<P>[] = [];
  const seen: SeenGroup[] = [];
  let attempts = 0;
  let exhausted = false;
  while (kept.length < options.promptsPerStep && attempts < options.maxAttempts && !exhausted) {
    const wanted = options.promptsPerStep - kept.length;
    const groups = await pullRound(options)(wanted, attempts);
    if (E.isLeft(groups)) return groups;
    if (groups.right.length === 0) {
      exhausted = true;
      break;
    }
    attempts++;
    exhausted = groups.right.length < wanted;
    for (const group of groups.right) {
      const keep = options.gate(group.rewards);
      if (keep) kept.push(group);
      seen.push({ promptKey: group.promptKey, passRate: passRate(group.correct), meanReward: meanOf(group.rewards), kept: keep });
    }
  }
  return E.right({
    groups: kept,
    counts: { kept: kept.length, rejected: seen.length - kept.length, attempts, generatedGroups: seen.length },
    seen,
    exhausted,
  });
};
