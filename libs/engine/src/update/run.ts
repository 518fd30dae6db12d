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
 * same parameters gives exactly ∇θ L. The first update reuses the forward pass the caller made
 * for the old log-probs while the engine has taken no step since (the parameters are the same).
 * A mini-batch whose inputs, objective or gradient are not finite applies nothing and is counted
 * as skipped; any other failure is the step's error.
 */
import * as E from 'fp-ts/lib/Either.js';
import { selectRows, StageError, type Batch, type Matrix } from '@rlflow/core';
import { FULL_VIEW, type Engine, type ForwardResult, type ImageView, type SequenceInput, type WeightedTerm } from '../contract.js';
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

/** The objective's inputs for the mini-batch `rows`. */
const objectiveInput = (batch: Batch, rows: readonly number[], forward: ForwardResult, maskedLogp: Matrix | undefined): E.Either<StageError, ObjectiveInput> => {
  const { advantages, clipBounds } = batch;
  if (advantages === undefined) return E.left(missing('batch.advantages', 'is missing: the batch was not shaped by an advantage stage'));
  if (clipBounds === undefined) return E.left(missing('batch.clipBounds', 'is missing: the batch was not shaped by a clip-bounds stage'));
  return E.right({
    logp: forward.logp,
    oldLogp: selectRows(batch.oldLogp, rows),
    mask: selectRows(batch.mask, rows),
    advantages: perRow(advantages, rows),
    epsLow: selectRows(clipBounds.epsLow, rows),
    epsHigh: selectRows(clipBounds.epsHigh, rows),
    ...(batch.refLogp === undefined ? {} : { refLogp: selectRows(batch.refLogp, rows) }),
    ...(batch.klWeights === undefined ? {} : { klWeights: perRow(batch.klWeights, rows) }),
    ...(maskedLogp === undefined ? {} : { maskedLogp }),
    ...(forward.entropy === null ? {} : { entropy: forward.entropy }),
  });
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

  const update = async (rows: readonly number[], index: number): Promise<UpdateStep> => {
    const miniSequences = rows.map((r) => sequences[r]!);
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
    const params = adamWAt(settings.optimizer, engine.steps());
    const stepped = await engine.optimStep(params);
    if (E.isLeft(stepped)) return stepped;
    return E.right({ metrics: metricValues(output.right.metrics), gradNorm: stepped.right.gradNorm, learningRate: params.learningRate, tokens: backward.right.tokens });
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
