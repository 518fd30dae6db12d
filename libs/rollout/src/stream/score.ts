/**
 * Scoring a rollout batch with the engine before the update (docs/algorithms.md §5, §6):
 *
 *   oldLogp = log π_θold(token), teacher-forced at the parameters that sampled (so ratio ≡ 1 at
 *             the first update), with entropies when asked — the engine's forward, whose result
 *             the first update reuses while the engine has taken no step;
 *   refLogp = log π_ref(token) under the frozen reference, when a KL term needs it.
 *
 * The batch is the groups stacked (`groupsToBatch`); both matrices are masked to the responses.
 */
import * as E from 'fp-ts/lib/Either.js';
import { matrix, unwrap, type Batch, type Matrix, type StageError } from '@rlflow/core';
import type { Engine, ForwardResult, SequenceInput } from '@rlflow/engine';
import { concatMap, type OperatorFunction } from 'rxjs';
import type { PromptItem } from '../suite/problem.js';
import { promptInput } from './prompts.js';
import type { RolloutBatch } from './refill.js';
import { groupsToBatch } from './to-batch.js';

export type ScoringEngine = Pick<Engine, 'forward' | 'steps'>;

export interface ScoreOptions {
  /** Also compute the reference log-probs (a KL term is on). */
  readonly reference: boolean;
  /** Ask for entropies in the old log-probs' pass. */
  readonly entropy: boolean;
}

export interface ScoredRollout<P extends PromptItem = PromptItem> {
  readonly rollout: RolloutBatch<P>;
  /** Every kept response with its prompt, in batch row order. */
  readonly sequences: readonly SequenceInput[];
  /** The stacked groups with oldLogp (and refLogp) from the engine; null when no group was kept. */
  readonly batch: Batch | null;
  /** The engine's forward of every row and its step count then (the first update reuses it). */
  readonly current: { readonly forward: ForwardResult; readonly atStep: number } | null;
}

export const rolloutSequences = (rollout: RolloutBatch): SequenceInput[] =>
  rollout.groups.flatMap((group) => {
    const input = promptInput(group.problem, group.promptTokens);
    return group.tokens.map((responseTokens) => ({ ...input, responseTokens }));
  });

const masked = (values: Matrix, mask: Matrix): Matrix => matrix(mask.rows, mask.cols, values.data.map((x, i) => x * mask.data[i]!));

export const scoreRollout =
  (engine: ScoringEngine, options: ScoreOptions) =>
  async <P extends PromptItem>(rollout: RolloutBatch<P>): Promise<E.Either<StageError, ScoredRollout<P>>> => {
    const sequences = rolloutSequences(rollout);
    if (rollout.groups.length === 0) return E.right({ rollout, sequences, batch: null, current: null });
    const raw = groupsToBatch(rollout.groups);
    if (E.isLeft(raw)) return raw;
    const responseWidth = raw.right.mask.cols;
    const atStep = engine.steps();
    const old = await engine.forward({ sequences, responseWidth, entropy: options.entropy });
    if (E.isLeft(old)) return old;
    const reference = options.reference ? await engine.forward({ sequences, responseWidth, model: 'reference' }) : undefined;
    if (reference !== undefined && E.isLeft(reference)) return reference;
    const batch: Batch = {
      ...raw.right,
      oldLogp: masked(old.right.logp, raw.right.mask),
      ...(reference === undefined ? {} : { refLogp: masked(reference.right.logp, raw.right.mask) }),
    };
    return E.right({ rollout, sequences, batch, current: { forward: old.right, atStep } });
  };

/** `scoreRollout` as an operator; errors the stream with the StageError. */
export const scoreRollouts = <P extends PromptItem>(engine: ScoringEngine, options: ScoreOptions): OperatorFunction<RolloutBatch<P>, ScoredRollout<P>> =>
  concatMap(async (rollout: RolloutBatch<P>) => unwrap(await scoreRollout(engine, options)(rollout)));
