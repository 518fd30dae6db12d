/**
 * Pull-based rollout: a round is generated only when a consumer asks for it. Round r draws the
 * next `count` items from the prompt source and samples them with the seed
 * `deriveSeed(seed, "round/r")`, so a fresh source and the same seed give the same rounds.
 */
import * as E from 'fp-ts/lib/Either.js';
import { deriveSeed, validate, type StageError } from '@rlflow/core';
import type { PromptItem } from '../suite/problem.js';
import { integerAtLeast } from './checks.js';
import { rolloutRound, type RolloutGroup, type RoundOptions } from './group.js';
import { takePrompts } from './prompts.js';

export interface PullOptions<P extends PromptItem> extends RoundOptions {
  /** Where prompts come from; each item's `id` is its prompt key. A finite source may run out. */
  readonly source: Iterator<P>;
  readonly seed: number;
}

/** The seed of sampling round `round`. */
export const roundSeed = (seed: number, round: number): number => deriveSeed(seed, `round/${round}`);

/** Round `round` over the next `count` prompts of the source: fewer groups when it runs out, none when it is empty. */
export const pullRound =
  <P extends PromptItem>(options: PullOptions<P>) =>
  async (count: number, round: number): Promise<E.Either<StageError, RolloutGroup<P>[]>> => {
    const checked = validate(integerAtLeast('rollout.pull', 'count', count, 1));
    if (E.isLeft(checked)) return checked;
    return rolloutRound(options)(takePrompts(options.source, count), round, roundSeed(options.seed, round));
  };
