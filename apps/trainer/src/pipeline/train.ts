/**
 * The RL loop as one RxJS stream, the curriculum state threaded by `expand`
 * (docs/architecture.md, "The flow"):
 *
 *   state_0 ─expand─► step t (stepPipeline) ─► reduce(state_t, summary_t) = state_{t+1} ─► persist ─┐
 *      ▲                                                                                          │
 *      └──────────────────────────────────────────────────────────────────────────────────────────┘
 *
 * Each state starts the next step; each step's summary is reduced into the state after it.
 * A step's metrics row and checkpoint are persisted before the next step starts, so a resumed
 * run (truncating metrics to the checkpoint's step) ends with exactly the rows of an
 * uninterrupted one. A StageError in step t errors the stream with a `StepError` naming it.
 */
import { catchError, concatMap, EMPTY, expand, filter, lastValueFrom, map, of, tap, throwError, type Observable } from 'rxjs';
import { isStageError, unwrap } from '@rlflow/core';
import { reduce, type CurriculumConfig, type CurriculumState } from '@rlflow/curriculum';
import { stepPipeline, StepError, type StepContext, type StepOutcome } from './step.js';

export interface LoopHooks {
  /** Persists a finished step (metrics row, evaluation, checkpoint) with the state after it; runs before the next step. */
  readonly afterStep: (outcome: StepOutcome, next: CurriculumState) => Promise<void>;
  /** True when the loop should stop after the step just persisted (a signal, too many non-finite updates). */
  readonly shouldStop: () => boolean;
}

export interface LoopOptions {
  readonly context: StepContext;
  readonly curriculum: CurriculumConfig;
  /** The state to start from: the initial state, or the one restored from a checkpoint. */
  readonly initial: CurriculumState;
  readonly totalSteps: number;
  readonly hooks: LoopHooks;
}

interface Threaded {
  readonly state: CurriculumState;
  readonly outcome: StepOutcome | undefined;
}

/** The loop as a cold observable emitting each step's outcome; it completes after the last step or a stop. */
export const trainingLoop = ({ context, curriculum, initial, totalSteps, hooks }: LoopOptions): Observable<StepOutcome> =>
  of<Threaded>({ state: initial, outcome: undefined }).pipe(
    expand(({ state, outcome }) => {
      if (state.step >= totalSteps || (outcome !== undefined && hooks.shouldStop())) return EMPTY;
      const t = state.step;
      return stepPipeline(context, state, t).pipe(
        map((next): Threaded => ({ state: unwrap(reduce(curriculum)(state, next.summary)), outcome: next })),
        catchError((error: unknown) => throwError(() => (isStageError(error) ? new StepError(t + 1, error) : error))),
        concatMap(async (threaded) => {
          await hooks.afterStep(threaded.outcome!, threaded.state);
          return threaded;
        }),
      );
    }),
    map(({ outcome }) => outcome),
    filter((outcome): outcome is StepOutcome => outcome !== undefined),
  );

/** Runs the loop to its end; resolves to the number of steps run, rejects with a StepError. */
export const runLoop = async (options: LoopOptions, onStep: (steps: number) => void = () => undefined): Promise<number> => {
  let steps = 0;
  await lastValueFrom(trainingLoop(options).pipe(tap(() => onStep(++steps))), { defaultValue: undefined });
  return steps;
};
