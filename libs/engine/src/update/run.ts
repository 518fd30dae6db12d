/**
 * The updates of one rollout batch through the engine contract (docs/architecture.md, "The
 * flow of one step"). For every mini-batch of the plan (plan.ts):
 *
 *   logp, H      ← engine.forward(rows)                       current parameters
 *   maskedLogp   ← engine.forward(rows, masked view)          PAPO only
 *   L, ∂L/∂logp, ∂L/∂maskedLogp, ∂L/∂H ← objective(…)         float64 (objective/)
 *   engine.forwardBackward(rows, [full: w = ∂L/∂logp, u = ∂L/∂H], [masked: w = ∂L/∂maskedLogp])
 *   engine.optimStep(AdamW at the schedule's rate for the engine's next step)
 *
 * Since the loss depends on θ only through logp (and H), backpropagating Σ w·logp + Σ u·H at the
 * same parameters gives exactly ∇θ L.
 *
 * When the engine declares a built-in loss (capability `builtinLosses`) and the settings' plan
 * says the objective is that loss exactly (builtin-loss.ts), a mini-batch takes one call instead:
 *
 *   logp ← engine.forwardBackwardBuiltin(rows, loss, thresholds, A_t = ω_t·A, q = oldLogp)
 *   L, metrics ← objective(…, logp)      the same figures as the gradient path, from the log-probs
 *                                        the gradient was taken at; the engine's reported loss is checked against
 *                                        the built-in loss's token sum there (= L but at tokens beyond the ±20 clamp)
 *   engine.forwardBackward(rows, Δ)      only where a log-ratio is outside rlflow's ±20 clamp
 *   engine.optimStep(…)
 *
 * A mini-batch the plan cannot take (bounds not the scalar ones, inputs not finite) takes the
 * gradient path. The first update of the gradient path reuses the forward pass the caller made
 * for the old log-probs while the engine has taken no step since (the parameters are the same).
 * A mini-batch whose inputs, objective or gradient are not finite applies nothing and is counted
 * as skipped; any other failure is the step's error.
 */
import * as E from 'fp-ts/lib/Either.js';
import { selectRows, StageError, type Batch, type Matrix } from '@rlflow/core';
import { FULL_VIEW, type AdamWParams, type Engine, type ForwardResult, type ImageView, type SequenceInput, type WeightedTerm } from '../contract.js';
import { builtinLossCall, builtinLossSum, type BuiltinLossPlan, type BuiltinLossRefusal, ratioClampCorrection } from './builtin-loss.js';
import type { Objective, ObjectiveInput, ObjectiveMetrics, ObjectiveNeeds, ObjectiveOutput } from '../objective/types.js';
import { adamWAt, type OptimizerSettings } from '../schedule.js';
import type { UpdatePlan } from './plan.js';

export interface UpdateSettings {
  readonly objective: Objective;
  readonly needs: ObjectiveNeeds;
  /** Ask the engine for entropies for the entropy metric (when it can give them). */
  readonly entropyMetric: boolean;
  readonly optimizer: OptimizerSettings;
  /** PAPO's masked view: patches blackened with `probability`; update u draws them with seed `seed + u`. */
  readonly maskedView: { readonly probability: number; readonly seed: number } | null;
  /** The built-in loss the objective is exactly (builtin-loss.ts `builtinLossPlan`), or why none is; absent: the gradient path. */
  readonly builtinLoss?: E.Either<BuiltinLossRefusal, BuiltinLossPlan>;
}

export interface UpdateInput {
  readonly sequences: readonly SequenceInput[];
  /** The shaped batch: mask, oldLogp, advantages, clipBounds; refLogp with a KL term; klWeights with DADS. */
  readonly batch: Batch;
  /** The engine's forward of every row (with entropies when they are needed), taken when the engine had made `atStep` steps. */
  readonly current?: { readonly forward: ForwardResult; readonly atStep: number };
}

/** Means over the applied updates of the objective's metrics (0 where a term is off). */
export interface UpdateMetrics {
  readonly pgLoss: number;
  readonly clipFrac: number;
  readonly approxKl: number;
  readonly entropy: number;
  readonly klLoss: number;
  readonly papoLoss: number;
  readonly entropyLoss: number;
}

export interface UpdateOutcome {
  readonly updates: number;
  readonly skipped: readonly StageError[];
  readonly metrics: UpdateMetrics;
  /** Mean global gradient norm (before clipping) of the applied updates. */
  readonly gradNorm: number;
  /** The learning rate of the last update. */
  readonly learningRate: number;
  /** Token positions the engine computed in forward-backward passes. */
  readonly tokens: number;
}

const METRIC_KEYS = ['pgLoss', 'clipFrac', 'approxKl', 'entropy', 'klLoss', 'papoLoss', 'entropyLoss'] as const;

export const noUpdateMetrics: UpdateMetrics = { pgLoss: 0, clipFrac: 0, approxKl: 0, entropy: 0, klLoss: 0, papoLoss: 0, entropyLoss: 0 };

const metricValues = (m: ObjectiveMetrics): UpdateMetrics => ({ ...m, entropy: m.entropy ?? 0 });

const meanMetrics = (all: readonly UpdateMetrics[]): UpdateMetrics =>
  all.length === 0
    ? noUpdateMetrics
    : (Object.fromEntries(METRIC_KEYS.map((key) => [key, all.reduce((sum, m) => sum + m[key], 0) / all.length])) as unknown as UpdateMetrics);

const perRow = (values: Float64Array, rows: readonly number[]): Float64Array => Float64Array.from(rows, (r) => values[r]!);

const selectForward = (forward: ForwardResult, rows: readonly number[]): ForwardResult => ({
  logp: selectRows(forward.logp, rows),
  entropy: forward.entropy === null ? null : selectRows(forward.entropy, rows),
  mask: selectRows(forward.mask, rows),
});

const missing = (field: string, detail: string): StageError => new StageError('update', field, null, 'invalid', detail);

type BatchInput = Omit<ObjectiveInput, 'logp' | 'maskedLogp' | 'entropy'>;

/** The objective's inputs for the mini-batch `rows` that come from the batch. */
const batchInput = (batch: Batch, rows: readonly number[]): E.Either<StageError, BatchInput> => {
  const { advantages, clipBounds } = batch;
  if (advantages === undefined) return E.left(missing('batch.advantages', 'is missing: the batch was not shaped by an advantage stage'));
  if (clipBounds === undefined) return E.left(missing('batch.clipBounds', 'is missing: the batch was not shaped by a clip-bounds stage'));
  return E.right({
    oldLogp: selectRows(batch.oldLogp, rows),
    mask: selectRows(batch.mask, rows),
    advantages: perRow(advantages, rows),
    epsLow: selectRows(clipBounds.epsLow, rows),
    epsHigh: selectRows(clipBounds.epsHigh, rows),
    ...(batch.refLogp === undefined ? {} : { refLogp: selectRows(batch.refLogp, rows) }),
    ...(batch.klWeights === undefined ? {} : { klWeights: perRow(batch.klWeights, rows) }),
  });
};

/** The objective's inputs for the mini-batch `rows`. */
const objectiveInput = (batch: Batch, rows: readonly number[], forward: ForwardResult, maskedLogp: Matrix | undefined): E.Either<StageError, ObjectiveInput> =>
  E.map(
    (base: BatchInput): ObjectiveInput => ({
      ...base,
      logp: forward.logp,
      ...(maskedLogp === undefined ? {} : { maskedLogp }),
      ...(forward.entropy === null ? {} : { entropy: forward.entropy }),
    }),
  )(batchInput(batch, rows));

/** |reported − L| within 1e-4 of the loss's scale: the engine summed the same per-token terms. */
const sameLoss = (reported: number, loss: number, advantages: Matrix): boolean => {
  let scale = Math.abs(loss);
  for (const a of advantages.data) scale += Math.abs(a);
  return Math.abs(reported - loss) <= 1e-4 * scale + 1e-6;
};

const weightedTerms = (output: ObjectiveOutput, maskedView: ImageView | null): WeightedTerm[] => [
  { view: FULL_VIEW, logpWeights: output.gradLogp, ...(output.gradEntropy === null ? {} : { entropyWeights: output.gradEntropy }) },
  ...(maskedView !== null && output.gradMaskedLogp !== null ? [{ view: maskedView, logpWeights: output.gradMaskedLogp }] : []),
];

type UpdateStep = E.Either<StageError, { readonly metrics: UpdateMetrics; readonly gradNorm: number; readonly learningRate: number; readonly tokens: number }>;

/** Runs the plan's updates; resolves to the outcome, or to the first failure that is not a skipped update. */
export const runUpdates = async (engine: Engine, settings: UpdateSettings, input: UpdateInput, plan: UpdatePlan): Promise<E.Either<StageError, UpdateOutcome>> => {
  const { batch, sequences, current } = input;
  const width = batch.mask.cols;
  const entropy = settings.needs.entropyWeights || (settings.entropyMetric && engine.capabilities.entropy);
  const applied: UpdateMetrics[] = [];
  const skipped: StageError[] = [];
  let gradNorm = 0;
  let learningRate = 0;
  let tokens = 0;

  const lossPlan = settings.builtinLoss !== undefined && E.isRight(settings.builtinLoss) ? settings.builtinLoss.right : null;
  const builtin = lossPlan !== null && !entropy && engine.forwardBackwardBuiltin !== undefined && (engine.capabilities.builtinLosses ?? []).includes(lossPlan.loss) ? lossPlan : null;

  const optimize = async (params: AdamWParams, metrics: ObjectiveMetrics, tokensComputed: number): Promise<UpdateStep> => {
    const stepped = await engine.optimStep(params);
    if (E.isLeft(stepped)) return stepped;
    return E.right({ metrics: metricValues(metrics), gradNorm: stepped.right.gradNorm, learningRate: params.learningRate, tokens: tokensComputed });
  };

  /** One mini-batch through the built-in loss; null when this mini-batch takes the gradient path. */
  const builtinUpdate = async (chosen: BuiltinLossPlan, rows: readonly number[], miniSequences: readonly SequenceInput[]): Promise<UpdateStep | null> => {
    const base = batchInput(batch, rows);
    if (E.isLeft(base)) return null;
    const call = builtinLossCall(chosen, base.right);
    if (E.isLeft(call)) return null;
    const result = await engine.forwardBackwardBuiltin!({ sequences: miniSequences, responseWidth: width, loss: call.right.loss, thresholds: call.right.thresholds, advantages: call.right.advantages, samplingLogp: call.right.samplingLogp });
    if (E.isLeft(result)) return result;
    const params = adamWAt(settings.optimizer, engine.steps());
    const output = settings.objective({ ...base.right, logp: result.right.forward.logp });
    if (E.isLeft(output)) {
      if (output.left.kind !== 'not-finite') return output;
      // The engine holds this mini-batch's gradient: a non-finite one is refused and cleared by optimStep, as the gradient path would skip it.
      const refused = await engine.optimStep(params);
      return E.isLeft(refused) ? output : E.left(new StageError('update', 'builtinLoss', null, 'invalid', `the engine applied a built-in loss's gradient although the objective is not finite there (${output.left.message})`));
    }
    const defined = builtinLossSum(call.right, result.right.forward.logp).loss;
    if (result.right.loss !== null && !sameLoss(result.right.loss, defined, call.right.advantages)) {
      return E.left(
        new StageError('update', 'builtinLoss', null, 'invalid', `the engine reports a ${call.right.loss} loss of ${result.right.loss}, but the token sum of ${call.right.loss} on the log-probs it returned is ${defined}: it does not compute the loss as the built-in loss is defined`),
      );
    }
    const correction = ratioClampCorrection(call.right, result.right.forward.logp, base.right.mask, output.right.gradLogp);
    let tokensComputed = result.right.tokens;
    if (correction !== null) {
      const corrected = await engine.forwardBackward({ sequences: miniSequences, responseWidth: width, terms: [{ view: FULL_VIEW, logpWeights: correction }] });
      if (E.isLeft(corrected)) return corrected;
      tokensComputed += corrected.right.tokens;
    }
    return optimize(params, output.right.metrics, tokensComputed);
  };

  const update = async (rows: readonly number[], index: number): Promise<UpdateStep> => {
    const miniSequences = rows.map((r) => sequences[r]!);
    if (builtin !== null) {
      const taken = await builtinUpdate(builtin, rows, miniSequences);
      if (taken !== null) return taken;
    }
    const reusable = current !== undefined && current.atStep === engine.steps() && (!entropy || current.forward.entropy !== null);
    const forward = reusable ? E.right(selectForward(current.forward, rows)) : await engine.forward({ sequences: miniSequences, responseWidth: width, entropy });
    if (E.isLeft(forward)) return forward;
    const maskedView: ImageView | null =
      settings.maskedView === null ? null : { kind: 'masked', probability: settings.maskedView.probability, seed: settings.maskedView.seed + index };
    const masked = maskedView === null ? undefined : await engine.forward({ sequences: miniSequences, responseWidth: width, view: maskedView });
    if (masked !== undefined && E.isLeft(masked)) return masked;
    const inputs = objectiveInput(batch, rows, forward.right, masked?.right.logp);
    if (E.isLeft(inputs)) return inputs;
    const output = settings.objective(inputs.right);
    if (E.isLeft(output)) return output;
    const backward = await engine.forwardBackward({ sequences: miniSequences, responseWidth: width, terms: weightedTerms(output.right, maskedView) });
    if (E.isLeft(backward)) return backward;
    return optimize(adamWAt(settings.optimizer, engine.steps()), output.right.metrics, backward.right.tokens);
  };

  for (const [index, rows] of plan.miniBatches.entries()) {
    const result = await update(rows, index);
    if (E.isLeft(result)) {
      if (result.left.kind !== 'not-finite') return result;
      skipped.push(result.left);
      continue;
    }
    applied.push(result.right.metrics);
    gradNorm += result.right.gradNorm;
    learningRate = result.right.learningRate;
    tokens += result.right.tokens;
  }
  return E.right({
    updates: applied.length,
    skipped,
    metrics: meanMetrics(applied),
    gradNorm: applied.length > 0 ? gradNorm / applied.length : 0,
    learningRate,
    tokens,
  });
};
