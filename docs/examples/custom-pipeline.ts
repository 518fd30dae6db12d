/**
 * A custom RL pipeline built in code from rlflow's operators (docs/custom-pipeline.md).
 *
 * The algorithm: RLOO advantages, APO's length regularisation of wrong answers (STCR),
 * advantage-aware clipping (AAAC) and PPO with dual clip, two passes over every rollout batch,
 * DAPO-style dynamic sampling — assembled as one RxJS stream, with the curriculum state
 * threaded by `scan` so each step's rollout reads the state the previous step left.
 */
import * as tf from '@tensorflow/tfjs-core';
import { concatMap, lastValueFrom, map, of, range, scan, toArray } from 'rxjs';
import { deriveSeed, unwrap, type Batch, type StepSummary } from '@rlflow/core';
import { estimateAdvantages, regularizeLongFailures, rloo, splitByAdvantageSign } from '@rlflow/advantage';
import { aaac, clipBounds } from '@rlflow/clipping';
import { initialCurriculumState, passesGate, reduce, type CurriculumConfig, type CurriculumState } from '@rlflow/curriculum';
import { createPolicy, createTrainer, defaultOptimizerConfig, initBackend, type PolicyConfig, type SequenceInput } from '@rlflow/policy';
import { ppoTensor, toTensor2D } from '@rlflow/policy/tensor';
import { groupsToBatch, problemSource, promptInput, rolloutBatch, type RolloutBatch } from '@rlflow/rollout';

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
}

const curriculum: CurriculumConfig = {
  reuse: { schedule: 'constant', kMin: 2, kMax: 2, totalSteps: 1, warmupFrac: 0 },
  historyWindow: 4,
  exploreSteps: 0,
  minKeepRate: 0,
};

const sequencesOf = (rollout: RolloutBatch): SequenceInput[] =>
  rollout.groups.flatMap((g) => g.tokens.map((responseTokens) => ({ ...promptInput(g.problem, g.promptTokens), responseTokens })));

export const runCustomPipeline = async ({ policyConfig, steps, seed }: ExampleOptions): Promise<ExampleStep[]> => {
  await initBackend('cpu');
  const policy = createPolicy(policyConfig, seed);
  const trainer = unwrap(createTrainer(policy, { optimizer: { ...defaultOptimizerConfig, learningRate: 1e-3 }, microBatchTokens: 0, klCoef: 0 }));
  let state: CurriculumState = unwrap(initialCurriculumState(curriculum));

  // One step: rollout → batch → advantages → split → STCR → AAAC → K passes of PPO → summary.
  const step = (t: number) =>
    rolloutBatch({
      policy,
      source: unwrap(problemSource({ families: ['counting', 'chart'], levels: [1], split: 'train', seed: deriveSeed(seed, `prompts/${t}`) })),
      groupSize: 4,
      promptsPerStep: 2,
      maxAttempts: 3,
      gate: passesGate({ tau: 0.5, nMax: 3 }),
      sampling: { temperature: 1, topP: 1, topK: 0, maxNewTokens: 8 },
      seed: deriveSeed(seed, `rollout/${t}`),
    }).pipe(
      concatMap((rollout) => {
        if (rollout.groups.length === 0) return of({ t, rollout, batch: undefined as Batch | undefined, loss: 0 });
        return of(unwrap(groupsToBatch(rollout.groups))).pipe(
          estimateAdvantages(rloo()),
          splitByAdvantageSign(),
          regularizeLongFailures({ base: 1.07 }),
          clipBounds(aaac()),
          map((batch) => {
            const sequences = sequencesOf(rollout);
            let loss = 0;
            // PPO with the per-token AAAC bounds and dual clip c = 3; tensors made inside the loss are the engine's to free.
            const ppoLoss = ({ logp }: { readonly logp: tf.Tensor2D }) =>
              unwrap(
                ppoTensor({ epsLow: toTensor2D(batch.clipBounds!.epsLow), epsHigh: toTensor2D(batch.clipBounds!.epsHigh), dualClipC: 3 })({
                  logp,
                  oldLogp: toTensor2D(batch.oldLogp),
                  advantages: tf.tensor2d(Float32Array.from(batch.advantages!), [batch.mask.rows, 1]),
                  mask: toTensor2D(batch.mask),
                }),
              ).loss;
            for (let pass = 0; pass < state.reuse; pass++) loss += unwrap(trainer.step(sequences, ppoLoss, { responseWidth: batch.mask.cols })).loss;
            return { t, rollout, batch: batch as Batch | undefined, loss: loss / state.reuse };
          }),
        );
      }),
    );

  const results = await lastValueFrom(
    range(0, steps).pipe(
      concatMap((t) => step(t)),
      map(({ t, rollout, batch, loss }) => {
        const summary: StepSummary = {
          step: t,
          groupPassRates: rollout.seen.map(({ promptKey, passRate }) => ({ promptKey, passRate })),
          keptGroups: rollout.counts.kept,
          rejectedGroups: rollout.counts.rejected,
          approxKl: 0,
          clipFrac: 0,
          rewardMean: batch === undefined ? 0 : batch.rewards.reduce((a, b) => a + b, 0) / batch.rewards.length,
          accuracy: rollout.seen.reduce((a, s) => a + s.passRate, 0) / Math.max(1, rollout.seen.length),
        };
        const meanClipHigh = batch?.clipBounds === undefined ? 0 : batch.clipBounds.epsHigh.data.reduce((a, b) => a + b, 0) / batch.clipBounds.epsHigh.data.length;
        return { summary, row: { step: t, reuse: state.reuse, keptGroups: rollout.counts.kept, meanReward: summary.rewardMean, meanClipHigh, loss } };
      }),
      // The curriculum state, threaded by scan; the next rollout reads it through `state`.
      scan((acc: { state: CurriculumState; rows: ExampleStep[] }, { summary, row }) => ({ state: unwrap(reduce(curriculum)(acc.state, summary)), rows: [...acc.rows, row] }), { state, rows: [] as ExampleStep[] }),
      map((acc) => {
        state = acc.state;
        return acc.rows;
      }),
      toArray(),
    ),
  );
  trainer.dispose();
  policy.dispose();
  return results[results.length - 1] ?? [];
};
