/**
 * A custom RL pipeline built in code from rlflow's operators (docs/custom-pipeline.md), the same
 * pieces the trainer's own loop is composed of (apps/trainer/src/pipeline/step.ts, train.ts).
 *
 * The algorithm: RLOO advantages, APO's length regularisation of wrong answers (STCR),
 * advantage-aware clipping (AAAC) and PPO with dual clip, two passes over every rollout batch,
 * DAPO-style dynamic sampling — one RxJS stream, with the curriculum state threaded by `expand`
 * so each step's rollout reads the state the previous step left. It talks to the engine
 * contract only: any engine (`createTfjsEngine` here) runs it unchanged.
 */
import { concatMap, EMPTY, expand, filter, lastValueFrom, map, of, toArray, type Observable } from 'rxjs';
import { deriveSeed, unwrap, type Batch, type StepSummary } from '@rlflow/core';
import { estimateAdvantages, regularizeLongFailures, rloo, splitByAdvantageSign } from '@rlflow/advantage';
import { aaac, clipBounds } from '@rlflow/clipping';
import { initialCurriculumState, passesGate, reduce, type CurriculumConfig, type CurriculumState } from '@rlflow/curriculum';
import { buildObjective, objectiveNeeds, optimizeBatch, planUpdates, type Engine, type ObjectiveConfig, type UpdateOutcome, type UpdateSettings } from '@rlflow/engine';
import { createTfjsEngine, type PolicyConfig } from '@rlflow/policy';
import { problemSource, rolloutBatch, scoreRollouts, type ScoredRollout } from '@rlflow/rollout';

export interface ExampleOptions {
  readonly policyConfig: PolicyConfig;
  readonly steps: number;
  readonly seed: number;
}

export interface ExampleStep {
  readonly step: number;
  readonly reuse: number;
  readonly keptGroups: number;
  readonly meanReward: number;
  readonly meanClipHigh: number;
  readonly loss: number;
  readonly updates: number;
}

const curriculum: CurriculumConfig = {
  reuse: { schedule: 'constant', kMin: 2, kMax: 2, totalSteps: 1, warmupFrac: 0 },
  historyWindow: 4,
  exploreSteps: 0,
  minKeepRate: 0,
};

/** PPO with dual clip c = 3 on the per-token AAAC bounds, token-mean; no KL, no PAPO, no entropy bonus. */
const objective: ObjectiveConfig = {
  policyLoss: 'ppo',
  lossAgg: 'token-mean',
  normConstant: 8,
  dualClipC: 3,
  kl: { coef: 0, estimator: 'k3', lossAgg: 'token-mean', sequenceWeights: false },
  papo: null,
  entropy: { coef: 0, lossAgg: 'token-mean' },
};

const settings: UpdateSettings = {
  objective: unwrap(buildObjective(objective)),
  needs: objectiveNeeds(objective),
  entropyMetric: false,
  optimizer: { learningRate: 1e-3, warmupSteps: 0, schedule: 'constant', totalSteps: 1, minLearningRateRatio: 1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1 },
  maskedView: null,
};

const mean = (xs: ArrayLike<number>): number => (xs.length === 0 ? 0 : Array.from(xs).reduce((a, b) => a + b, 0) / xs.length);

interface Stepped {
  readonly scored: ScoredRollout;
  readonly batch: Batch | undefined;
  readonly outcome: UpdateOutcome | undefined;
}

/** One step: rollout → score → advantages → split → STCR → AAAC → K passes of PPO through the engine. */
const step = (engine: Engine, seed: number, state: CurriculumState): Observable<Stepped> => {
  const t = state.step;
  return rolloutBatch({
    engine,
    source: unwrap(problemSource({ families: ['counting', 'chart'], levels: [1], split: 'train', seed: deriveSeed(seed, `prompts/${t}`) })),
    groupSize: 4,
    promptsPerStep: 2,
    maxAttempts: 3,
    gate: passesGate({ tau: 0.5, nMax: 3 }),
    sampling: { temperature: 1, topP: 1, topK: 0, maxNewTokens: 8 },
    seed: deriveSeed(seed, `rollout/${t}`),
  }).pipe(
    scoreRollouts(engine, { reference: false, entropy: false }),
    concatMap((scored): Observable<Stepped> => {
      if (scored.batch === null) return of({ scored, batch: undefined, outcome: undefined });
      return of(scored.batch).pipe(
        estimateAdvantages(rloo()), // docs/algorithms.md §1
        splitByAdvantageSign(), // §7 split
        regularizeLongFailures({ base: 1.07 }), // §7 STCR
        clipBounds(aaac()), // §4 AAAC
        concatMap((batch) =>
          of({
            input: { sequences: scored.sequences, batch, ...(scored.current === null ? {} : { current: scored.current }) },
            plan: planUpdates(scored.sequences.length, state.reuse, 1, deriveSeed(seed, `shuffle/${t}`)),
            settings,
          }).pipe(
            optimizeBatch(engine), // objective → ∂loss/∂logp → engine.forwardBackward → engine.optimStep, K times
            map((outcome) => ({ scored, batch, outcome })),
          ),
        ),
      );
    }),
  );
};

const summaryOf = (t: number, { scored, batch, outcome }: Stepped): StepSummary => ({
  step: t,
  groupPassRates: scored.rollout.seen.map(({ promptKey, passRate }) => ({ promptKey, passRate })),
  keptGroups: scored.rollout.counts.kept,
  rejectedGroups: scored.rollout.counts.rejected,
  approxKl: outcome?.metrics.approxKl ?? 0,
  clipFrac: outcome?.metrics.clipFrac ?? 0,
  rewardMean: batch === undefined ? 0 : mean(batch.rewards),
  accuracy: mean(scored.rollout.seen.map((s) => s.passRate)),
});

export const runCustomPipeline = async ({ policyConfig, steps, seed }: ExampleOptions): Promise<ExampleStep[]> => {
  const engine = unwrap(await createTfjsEngine({ init: { kind: 'seed', seed }, model: policyConfig, reference: false, tokenBudget: 0, device: 'cpu' }));
  const initial = { state: unwrap(initialCurriculumState(curriculum)), row: undefined as ExampleStep | undefined };
  try {
    // The curriculum state, threaded by expand: each step's summary is reduced into the state the next step reads.
    return await lastValueFrom(
      of(initial).pipe(
        expand(({ state }) =>
          state.step >= steps
            ? EMPTY
            : step(engine, seed, state).pipe(
                map((stepped) => ({
                  state: unwrap(reduce(curriculum)(state, summaryOf(state.step, stepped))),
                  row: {
                    step: state.step,
                    reuse: state.reuse,
                    keptGroups: stepped.scored.rollout.counts.kept,
                    meanReward: summaryOf(state.step, stepped).rewardMean,
                    meanClipHigh: stepped.batch?.clipBounds === undefined ? 0 : mean(stepped.batch.clipBounds.epsHigh.data),
                    loss: stepped.outcome?.metrics.pgLoss ?? 0,
                    updates: stepped.outcome?.updates ?? 0,
                  } satisfies ExampleStep,
                })),
              ),
        ),
        map(({ row }) => row),
        filter((row): row is ExampleStep => row !== undefined),
        toArray(),
      ),
    );
  } finally {
    await engine.dispose();
  }
};
