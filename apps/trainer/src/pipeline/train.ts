/**
 * The RL loop as an RxJS pipeline with the curriculum state threaded by `scan`
 * (docs/architecture.md "The flow"):
 *
 *   summaries ─► scan(reduce) ─► state ─► concatMap(step t: rollout … updates) ─► summary
 *       ▲                                                                          │
 *       └──────────────────────────────────────────────────────────────────────────┘
 *
 * Each state starts the next step; each step's summary is fed back to the reducer. A step's
 * metrics row is written before its checkpoint, so a resumed run (truncating metrics to the
 * checkpoint's step) ends with exactly the rows of an uninterrupted one.
 */
import { concatMap, defer, lastValueFrom, of, scan, startWith, Subject, takeWhile, tap, type Observable } from 'rxjs';
import { unwrap } from '@rlflow/core';
import { reduce, type CurriculumConfig, type CurriculumState } from '@rlflow/curriculum';
import { runStep, type StepContext, type StepOutcome } from './step.js';

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
  defer(() => {
    const outcomes = new Subject<StepOutcome>();
    const start: Threaded = { state: initial, outcome: undefined };
    return outcomes.pipe(
      scan((acc: Threaded, outcome: StepOutcome): Threaded => ({ state: unwrap(reduce(curriculum)(acc.state, outcome.summary)), outcome }), start),
      startWith(start),
      concatMap(async (threaded) => {
        if (threaded.outcome !== undefined) await hooks.afterStep(threaded.outcome, threaded.state);
        return threaded;
      }),
      takeWhile(({ state, outcome }) => state.step < totalSteps && !(outcome !== undefined && hooks.shouldStop())),
      concatMap(({ state }) => defer(() => of(unwrap(runStep(context, state, state.step))))),
      tap((outcome) => outcomes.next(outcome)),
    );
  });

/** Runs the loop to its end; resolves to the number of steps run, rejects with a StageError. */
export const runLoop = async (options: LoopOptions): Promise<number> => {
  let steps = 0;
  await lastValueFrom(trainingLoop(options).pipe(tap(() => steps++)), { defaultValue: undefined });
  return steps;
};
