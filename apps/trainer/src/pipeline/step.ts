/**
 * One training step t of the pipeline (docs/architecture.md, "The flow of one step"), composed
 * from the libraries' operators:
 *
 *   rolloutBatch (prompts(seed, t, state) × G, gate, refill)   libs/rollout, libs/curriculum (pool order)
 *   ─► scoreRollouts (old log-probs, reference log-probs)   libs/rollout, through the engine
 *   ─► shape (overlong, advantages, APO split/DADS/STCR, clip bounds)   libs/advantage, libs/clipping
 *   ─► optimizeBatch (K(t) passes × mini-batches: objective → ∂loss/∂logp → engine)   libs/engine
 *   ─► step summary (for the curriculum reducer) and metrics row
 *
 * Every random choice of step t comes from seeds derived from (run seed, t, purpose), so a run
 * resumed at step t draws exactly what an uninterrupted one draws.
 */
import { concatMap, defer, map, of, type Observable } from 'rxjs';
import { deriveSeed, unwrap, type Batch, type Stage, type StageError, type StepSummary } from '@rlflow/core';
import type { CurriculumState } from '@rlflow/curriculum';
import { samplingOrder } from '@rlflow/curriculum';
import { noUpdateMetrics, optimizeBatch, planUpdates, type Engine, type UpdateOutcome } from '@rlflow/engine';
import { problemSource, rolloutBatch, scoreRollouts, type Family, type Level, type Problem, type PromptItem, type ScoredRollout } from '@rlflow/rollout';
import type { TrainConfig } from '../config/index.js';
import type { MetricRow } from '../metrics/index.js';
import { groupGate, poolSampling } from './curriculum.js';
import { updateSettings } from './objective.js';
import { BUILTIN_PROMPTS, datasetSource, type RunPrompts } from './prompts.js';

export interface StepContext {
  readonly config: TrainConfig;
  readonly engine: Engine;
  readonly shape: Stage<Batch, Batch>;
  /** The run's prompts and text codec (prompts.ts); the synthetic suite and the built-in tokenizer when unset. */
  readonly prompts?: RunPrompts;
  /** The run's finite prompt pool (`promptPool`), or null when `curriculum.sampling.strategy` is `fresh`. */
  readonly pool: readonly Problem[] | null;
}

export interface StepOutcome {
  readonly summary: StepSummary;
  readonly row: MetricRow;
  readonly skipped: readonly StageError[];
}

/** A step's failure: the step (1-based, as in the metrics), and the stage's error naming its field. */
export class StepError extends Error {
  readonly _tag = 'StepError' as const;

  constructor(
    readonly step: number,
    override readonly cause: StageError,
  ) {
    super(`step ${step}: ${cause.message}`);
    this.name = 'StepError';
  }
}

const mean = (xs: ArrayLike<number>): number => (xs.length === 0 ? 0 : Array.from(xs).reduce((a, b) => a + b, 0) / xs.length);

const maskedMean = (values: Float64Array, mask: Float64Array): number => {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i]! * mask[i]!;
    n += mask[i]!;
  }
  return n === 0 ? 0 : sum / n;
};

/** Mean length of the responses of the batch's groups whose correctness is `correct`; null when there are none. */
const lengthWhere = (groups: readonly { readonly lengths: Int32Array; readonly correct: Uint8Array }[], correct: boolean): number | null => {
  let sum = 0;
  let n = 0;
  for (const g of groups) {
    for (let i = 0; i < g.lengths.length; i++) {
      if ((g.correct[i] === 1) === correct) {
        sum += g.lengths[i]!;
        n++;
      }
    }
  }
  return n === 0 ? null : sum / n;
};

const noUpdates: UpdateOutcome = { updates: 0, skipped: [], metrics: noUpdateMetrics, gradNorm: 0, learningRate: 0, tokens: 0 };

/**
 * Step t's prompts: with `rollout.dataset`, the file's items in the permutations drawn from (seed, t);
 * with `fresh` sampling, new train problems from (seed, t); with a pool, the pool in the order the
 * curriculum state draws for step t (libs/curriculum sampling.ts).
 */
export const stepPrompts = ({ config, pool, prompts = BUILTIN_PROMPTS }: StepContext, state: CurriculumState, t: number): Iterator<PromptItem> => {
  const seed = deriveSeed(config.seed, `prompts/${t}`);
  if (prompts.train !== null) return datasetSource(prompts.train, seed);
  const sampling = poolSampling(config);
  if (pool === null || sampling === null) {
    return unwrap(
      problemSource({
        families: config.rollout.families as readonly Family[],
        levels: config.rollout.levels as readonly Level[],
        split: 'train',
        seed,
      }),
    );
  }
  const order = unwrap(samplingOrder(sampling)({ keys: pool.map((p) => p.id), state, seed: deriveSeed(config.seed, `prompt-order/${t}`) }));
  return order.map((i) => pool[i]!)[Symbol.iterator]();
};

/** The rollout of step t: prompts from the train split (or the run's dataset), G samples each, gated and refilled. */
export const rolloutStep = (ctx: StepContext, state: CurriculumState, t: number) => {
  const { config, engine, prompts = BUILTIN_PROMPTS } = ctx;
  const { rollout, reward } = config;
  return rolloutBatch<PromptItem>({
    engine,
    codec: prompts.codec,
    source: stepPrompts(ctx, state, t),
    groupSize: rollout.groupSize,
    sampling: { temperature: rollout.temperature, topP: rollout.topP, topK: rollout.topK, maxNewTokens: rollout.maxNewTokens },
    reward: { formatWeight: reward.formatWeight },
    promptsPerStep: rollout.promptsPerStep,
    maxAttempts: rollout.maxAttempts,
    gate: groupGate(config),
    seed: deriveSeed(config.seed, `rollout/${t}`),
  });
};

interface Shaped {
  readonly scored: ScoredRollout;
  readonly shaped: Batch | null;
}

interface Optimized extends Shaped {
  readonly outcome: UpdateOutcome;
}

/** The updates of a shaped batch (none when the gate kept no group). */
const optimize = (ctx: StepContext, state: CurriculumState, t: number) => (stepped: Shaped): Observable<Optimized> => {
  const { scored, shaped } = stepped;
  if (shaped === null) return of({ ...stepped, outcome: noUpdates });
  const { config, engine } = ctx;
  const settings = unwrap(updateSettings(config, deriveSeed(config.seed, `papo/${t}`)));
  const plan = planUpdates(scored.sequences.length, state.reuse, config.curriculum.miniBatches, deriveSeed(config.seed, `shuffle/${t}`));
  const input = { sequences: scored.sequences, batch: shaped, ...(scored.current === null ? {} : { current: scored.current }) };
  return of({ input, plan, settings }).pipe(
    optimizeBatch(engine),
    map((outcome) => ({ ...stepped, outcome })),
  );
};

const summarize = (state: CurriculumState, t: number, timing: { started: number; rolledOut: number }) => ({ scored, shaped, outcome }: Optimized): StepOutcome => {
  const { rollout } = scored;
  const now = performance.now();
  const seenAccuracy = mean(rollout.seen.map((s) => s.passRate));
  const summary: StepSummary = {
    step: t,
    groupPassRates: rollout.seen.map(({ promptKey, passRate }) => ({ promptKey, passRate })),
    keptGroups: rollout.counts.kept,
    rejectedGroups: rollout.counts.rejected,
    approxKl: outcome.metrics.approxKl,
    clipFrac: outcome.metrics.clipFrac,
    rewardMean: mean(rollout.seen.map((s) => s.meanReward)),
    accuracy: seenAccuracy,
  };
  const positive = shaped?.positive;
  const row: MetricRow = {
    step: t + 1,
    'time/step_s': (now - timing.started) / 1000,
    'time/rollout_s': (timing.rolledOut - timing.started) / 1000,
    'time/update_s': (now - timing.rolledOut) / 1000,
    'reward/mean': summary.rewardMean,
    'reward/accuracy': seenAccuracy,
    'response_length/mean': mean(rollout.groups.flatMap((g) => Array.from(g.lengths))),
    'response_length/correct_mean': lengthWhere(rollout.groups, true),
    'response_length/wrong_mean': lengthWhere(rollout.groups, false),
    'actor/pg_loss': outcome.metrics.pgLoss,
    'actor/pg_clipfrac': outcome.metrics.clipFrac,
    'actor/ppo_kl': outcome.metrics.approxKl,
    'actor/entropy': outcome.metrics.entropy,
    'actor/kl_loss': outcome.metrics.klLoss,
    'actor/papo_loss': outcome.metrics.papoLoss,
    'actor/entropy_loss': outcome.metrics.entropyLoss,
    'actor/grad_norm': outcome.gradNorm,
    'actor/lr': outcome.learningRate,
    'actor/updates': outcome.updates,
    'actor/skipped_updates': outcome.skipped.length,
    'curriculum/reuse': state.reuse,
    'curriculum/kept_groups': rollout.counts.kept,
    'curriculum/rejected_groups': rollout.counts.rejected,
    'curriculum/attempts': rollout.counts.attempts,
    'clip/eps_low_mean': shaped?.clipBounds === undefined ? 0 : maskedMean(shaped.clipBounds.epsLow.data, shaped.mask.data),
    'clip/eps_high_mean': shaped?.clipBounds === undefined ? 0 : maskedMean(shaped.clipBounds.epsHigh.data, shaped.mask.data),
    'apo/positive_frac': positive === undefined ? 0 : mean(positive),
    'apo/dads_weight_mean': shaped?.klWeights === undefined ? 1 : mean(shaped.klWeights),
    'apo/stcr_multiplier_mean': shaped?.advantageMultipliers === undefined ? 1 : mean(shaped.advantageMultipliers),
  };
  return { summary, row, skipped: outcome.skipped };
};

/** Step t (0-based) from the curriculum state as a cold observable of its outcome; the metrics row is numbered t + 1. */
export const stepPipeline = (ctx: StepContext, state: CurriculumState, t: number): Observable<StepOutcome> =>
  defer(() => {
    const timing = { started: performance.now(), rolledOut: 0 };
    return rolloutStep(ctx, state, t).pipe(
      map((rollout) => {
        timing.rolledOut = performance.now();
        return rollout;
      }),
      scoreRollouts(ctx.engine, { reference: ctx.config.kl.coef > 0, entropy: ctx.engine.capabilities.entropy }),
      map((scored): Shaped => ({ scored, shaped: scored.batch === null ? null : unwrap(ctx.shape(scored.batch)) })),
      concatMap(optimize(ctx, state, t)),
      map(summarize(state, t, timing)),
    );
  });
