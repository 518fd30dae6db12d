/**
 * One training step t of the pipeline (docs/architecture.md "The flow"):
 *
 *   prompts(seed, t) ─► rollout × G with gate and refill ─► batch ─► recompute old log-probs
 *   ─► shape (overlong, advantages, APO split/DADS/STCR, clip bounds) ─► K(t) passes × mini-batches
 *   of optimizer steps ─► step summary (for the curriculum reducer) and metrics row
 *
 * Every random choice of step t comes from seeds derived from (run seed, t, purpose), so a run
 * resumed at step t draws exactly what an uninterrupted one draws.
 */
import * as E from 'fp-ts/lib/Either.js';
import { deriveSeed, unwrap, type Batch, type Stage, type StageError, type StepSummary } from '@rlflow/core';
import type { CurriculumState } from '@rlflow/curriculum';
import { collectBatch, groupsToBatch, problemSource, promptInput, type Family, type Level, type Problem, type RolloutBatch, type RolloutPolicy } from '@rlflow/rollout';
import type { Policy, SequenceInput, Trainer } from '@rlflow/policy';
import type { TrainConfig } from '../config/index.js';
import type { MetricRow } from '../metrics/index.js';
import { groupGate } from './curriculum.js';
import { planUpdates, runUpdates, type UpdateOutcome } from './update.js';

export interface StepContext {
  readonly config: TrainConfig;
  readonly policy: Policy & RolloutPolicy;
  readonly trainer: Trainer;
  readonly shape: Stage<Batch, Batch>;
}

export interface StepOutcome {
  readonly summary: StepSummary;
  readonly row: MetricRow;
  readonly skipped: readonly StageError[];
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

/** The rollout of step t: prompts from the train split, G samples each, gated and refilled. */
export const rolloutStep = (ctx: StepContext, t: number): E.Either<StageError, RolloutBatch> => {
  const { config, policy } = ctx;
  const { rollout, reward } = config;
  return E.flatMap((source: IterableIterator<Problem>) =>
    collectBatch({
      policy,
      source,
      groupSize: rollout.groupSize,
      sampling: { temperature: rollout.temperature, topP: rollout.topP, topK: rollout.topK, maxNewTokens: rollout.maxNewTokens },
      reward: { formatWeight: reward.formatWeight },
      promptsPerStep: rollout.promptsPerStep,
      maxAttempts: rollout.maxAttempts,
      gate: groupGate(config),
      seed: deriveSeed(config.seed, `rollout/${t}`),
    }),
  )(
    problemSource({
      families: rollout.families as readonly Family[],
      levels: rollout.levels as readonly Level[],
      split: 'train',
      seed: deriveSeed(config.seed, `prompts/${t}`),
    }),
  );
};

const sequencesOf = (rollout: RolloutBatch): SequenceInput[] =>
  rollout.groups.flatMap((group) => {
    const input = promptInput(group.problem, group.promptTokens);
    return group.tokens.map((responseTokens) => ({ ...input, responseTokens }));
  });

const noUpdates: UpdateOutcome = {
  updates: 0,
  skipped: [],
  metrics: { pgLoss: 0, clipFrac: 0, approxKl: 0, entropy: 0, klLoss: 0, papoLoss: 0 },
  gradNorm: 0,
  learningRate: 0,
  tokens: 0,
};

/** Runs step t (0-based) from the curriculum state; the metrics row is numbered t + 1. */
export const runStep = (ctx: StepContext, state: CurriculumState, t: number): E.Either<StageError, StepOutcome> => {
  const { config, policy, trainer } = ctx;
  const started = performance.now();
  const rolled = rolloutStep(ctx, t);
  if (E.isLeft(rolled)) return rolled;
  const rollout = rolled.right;
  const rolloutSeconds = (performance.now() - started) / 1000;

  let shaped: Batch | undefined;
  let outcome = noUpdates;
  if (rollout.groups.length > 0) {
    const sequences = sequencesOf(rollout);
    const raw = unwrap(groupsToBatch(rollout.groups));
    const width = raw.mask.cols;
    const old = unwrap(policy.logProbs(sequences, { responseWidth: width }));
    const refLogp = config.kl.coef > 0 ? unwrap(trainer.referenceLogProbs(sequences, { responseWidth: width })).logp : undefined;
    const batch: Batch = { ...raw, oldLogp: { rows: raw.mask.rows, cols: width, data: old.logp.data.map((x, i) => x * raw.mask.data[i]!) } };
    const shapedBatch = ctx.shape(batch);
    if (E.isLeft(shapedBatch)) return shapedBatch;
    shaped = shapedBatch.right;
    outcome = runUpdates({
      config,
      trainer,
      batch: shaped,
      sequences,
      refLogp,
      plan: planUpdates(sequences.length, state.reuse, config.curriculum.miniBatches, deriveSeed(config.seed, `shuffle/${t}`)),
      maskSeed: deriveSeed(config.seed, `papo/${t}`),
    });
  }
  const updateSeconds = (performance.now() - started) / 1000 - rolloutSeconds;

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
    'time/step_s': (performance.now() - started) / 1000,
    'time/rollout_s': rolloutSeconds,
    'time/update_s': updateSeconds,
    'reward/mean': summary.rewardMean,
    'reward/accuracy': seenAccuracy,
    'response_length/mean': mean(rollout.groups.flatMap((g) => Array.from(g.lengths))),
    'actor/pg_loss': outcome.metrics.pgLoss,
    'actor/pg_clipfrac': outcome.metrics.clipFrac,
    'actor/ppo_kl': outcome.metrics.approxKl,
    'actor/entropy': outcome.metrics.entropy,
    'actor/kl_loss': outcome.metrics.klLoss,
    'actor/papo_loss': outcome.metrics.papoLoss,
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
  return E.right({ summary, row, skipped: outcome.skipped });
};
