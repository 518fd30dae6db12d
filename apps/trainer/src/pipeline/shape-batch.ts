/**
 * The algorithm stages of one rollout batch, in the order of docs/architecture.md "The flow", each chosen
 * by the config:
 *
 *   rewards ─ overlong shaping (DAPO, docs/algorithms.md §9) ─ advantages (§1) ─ APO split (§7)
 *           ─ DADS KL weights (§7) ─ STCR multipliers (§7) ─ clip bounds (fixed or AAAC, §4)
 *
 * `shapeBatch(config)` composes them into one `Stage<Batch, Batch>`; `shapeBatchOperator` is its
 * RxJS operator. Both are built once per run from the resolved config.
 */
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { stageOperator, type Batch, type Stage, type StageError } from '@rlflow/core';
import { advantageEstimator, advantageStage, apoSplit, dadsStage, overlongStage, stcrStage } from '@rlflow/advantage';
import { aaac, clipBoundsStage, fixed } from '@rlflow/clipping';
import type { OperatorFunction } from 'rxjs';
import type { TrainConfig } from '../config/index.js';

export interface NamedStage {
  readonly name: string;
  readonly run: Stage<Batch, Batch>;
}

/** The stages the config switches on, in pipeline order. */
export const batchStages = (config: TrainConfig): E.Either<StageError, readonly NamedStage[]> =>
  pipe(
    advantageEstimator(config.algorithm.advantage, { eps: config.algorithm.advantageEps }),
    E.map((estimator) => {
      const { reward, apo, clip } = config;
      const stages: NamedStage[] = [];
      if (reward.overlong.enabled) {
        const { maxLen, bufferLen, penaltyFactor } = reward.overlong;
        stages.push({ name: 'overlong', run: overlongStage({ maxLen, bufferLen, penaltyFactor }) });
      }
      stages.push({ name: `advantage.${config.algorithm.advantage}`, run: advantageStage(estimator) });
      stages.push({ name: 'apo.split', run: apoSplit });
      if (apo.dads) stages.push({ name: 'apo.dads', run: dadsStage });
      if (apo.stcr) stages.push({ name: 'apo.stcr', run: stcrStage({ base: apo.stcrBase }) });
      const kernel =
        clip.mode === 'aaac'
          ? aaac({ epsLow0: clip.epsLow0, epsHigh0: clip.epsHigh0, deltaLow: clip.deltaLow, deltaHigh: clip.deltaHigh, kappa: clip.kappa })
          : fixed({ epsLow: clip.epsLow, epsHigh: clip.epsHigh });
      stages.push({ name: `clip.${clip.mode}`, run: clipBoundsStage(kernel) });
      return stages;
    }),
  );

/** Runs the stages in order; the first failing stage's error is the result. */
export const composeStages =
  (stages: readonly NamedStage[]): Stage<Batch, Batch> =>
  (batch) =>
    stages.reduce<E.Either<StageError, Batch>>((acc, stage) => E.chain(stage.run)(acc), E.right(batch));

export const shapeBatch = (config: TrainConfig): E.Either<StageError, Stage<Batch, Batch>> => E.map(composeStages)(batchStages(config));

export const shapeBatchOperator = (stage: Stage<Batch, Batch>): OperatorFunction<Batch, Batch> => stageOperator(stage);
