/**
 * The ACPO curriculum state (docs/algorithms.md §8): an immutable value holding the next step, its
 * reuse K, the phase, each prompt's latest pass rates (a bounded window) and the gate's counts.
 * `reduce` (reduce.ts) makes the next state from a step summary; sampling reads the latest one.
 *
 * Difficulty of a prompt: d̂ = 1 − mean(pass rates in its window), the quantity APO's DADS and
 * ACPO's gating act on; unknown for a prompt not yet seen.
 */
import * as E from 'fp-ts/lib/Either.js';
import * as O from 'fp-ts/lib/Option.js';
import { pipe } from 'fp-ts/lib/function.js';
import { validate, type StageError } from '@rlflow/core';
import { adaptiveReuseChecks } from './adaptive-reuse.js';
import { curriculumConfigChecks, type CurriculumConfig } from './config.js';
import { reuseSchedule } from './reuse.js';

export const CURRICULUM_PHASES = ['explore', 'exploit'] as const;
export type CurriculumPhase = (typeof CURRICULUM_PHASES)[number];

export interface PromptRecord {
  /** The latest pass rates (fraction correct of its group), oldest first, at most `historyWindow`. */
  readonly passRates: readonly number[];
  /** How many of its groups have been seen in all. */
  readonly seen: number;
  /** The step at which it was last seen. */
  readonly lastStep: number;
}

export interface GateStats {
  /** Groups kept by the gate, over the whole run. */
  readonly kept: number;
  /** Groups rejected by the gate, over the whole run. */
  readonly rejected: number;
  /** kept / (kept + rejected) at the latest step that gated a group, null before any did. */
  readonly lastKeepRate: number | null;
}

export interface CurriculumState {
  /** The step to run next (the number of step summaries reduced so far). */
  readonly step: number;
  /** K, the optimizer passes over the next step's rollout batch. */
  readonly reuse: number;
  readonly phase: CurriculumPhase;
  readonly prompts: ReadonlyMap<string, PromptRecord>;
  readonly gate: GateStats;
}

const STAGE = 'curriculum.state';

/** The state before step 0: K(0) (K_min for the adaptive schedule), no history. */
export const initialCurriculumState = (config: CurriculumConfig): E.Either<StageError, CurriculumState> =>
  pipe(
    validate(...curriculumConfigChecks(STAGE, config)),
    E.chain(() =>
      config.reuse.schedule === 'adaptive'
        ? E.map(() => config.reuse.kMin)(validate(...adaptiveReuseChecks(config.reuse)))
        : reuseSchedule(config.reuse)(0),
    ),
    E.map((reuse) => ({
      step: 0,
      reuse,
      phase: config.exploreSteps > 0 ? 'explore' : 'exploit',
      prompts: new Map<string, PromptRecord>(),
      gate: { kept: 0, rejected: 0, lastKeepRate: null },
    })),
  );

/** The prompt's pass rates in its window, oldest first (empty when never seen). */
export const passRateHistory =
  (promptKey: string) =>
  (state: CurriculumState): readonly number[] =>
    state.prompts.get(promptKey)?.passRates ?? [];

/** The mean pass rate over the prompt's window, none when never seen. */
export const estimatedPassRate =
  (promptKey: string) =>
  (state: CurriculumState): O.Option<number> => {
    const history = passRateHistory(promptKey)(state);
    return history.length === 0 ? O.none : O.some(history.reduce((a, b) => a + b, 0) / history.length);
  };

/** The prompt's estimated difficulty 1 − (mean pass rate), none when never seen. */
export const estimatedDifficulty =
  (promptKey: string) =>
  (state: CurriculumState): O.Option<number> =>
    pipe(state, estimatedPassRate(promptKey), O.map((passRate) => 1 - passRate));
