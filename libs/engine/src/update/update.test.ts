import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { matrix, selectRows, StageError, type Batch, type Matrix } from '@rlflow/core';
import type { BuiltinLossRequest, Engine, ForwardBackwardRequest, ForwardRequest } from '../contract.js';
import { buildObjective } from '../objective/objective.js';
import type { Objective, ObjectiveConfig, ObjectiveInput } from '../objective/types.js';
import { builtinLossPlan, builtinLossSum } from './builtin-loss.js';
import { planUpdates } from './plan.js';
import { runUpdates, type UpdateSettings } from './run.js';

describe('update plan', () => {
  it('covers every row once per pass, K passes × mini-batches, deterministic per seed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }), fc.nat(), (size, reuse, minis, seed) => {
        const plan = planUpdates(size, reuse, minis, seed);
        const parts = Math.min(minis, size);
        expect(plan.miniBatches).toHaveLength(reuse * parts);
        for (let pass = 0; pass < reuse; pass++) {
          const rows = plan.miniBatches.slice(pass * parts, (pass + 1) * parts).flat();
          expect([...rows].sort((a, b) => a - b)).toEqual(Array.from({ length: size }, (_, i) => i));
        }
        expect(planUpdates(size, reuse, minis, seed)).toEqual(plan);
      }),
    );
  });
});

const ROWS = 4;
const WIDTH = 3;
const mask = matrix(ROWS, WIDTH, Float64Array.from({ length: ROWS * WIDTH }, (_, i) => (i % WIDTH <= Math.floor(i / WIDTH) % WIDTH ? 1 : 0)));
const full = (value: number): Matrix => matrix(ROWS, WIDTH, new Float64Array(ROWS * WIDTH).fill(value));

const batch: Batch = {
  groupIds: Int32Array.from([0, 0, 1, 1]),
  promptKeys: ['a', 'a', 'b', 'b'],
  rewards: Float64Array.from([1, 0, 1, 0]),
  correct: Uint8Array.from([1, 0, 1, 0]),
  lengths: Int32Array.from([1, 2, 3, 1]),
  mask,
  oldLogp: full(-1),
  advantages: Float64Array.from([1, -1, 1, -1]),
  clipBounds: { epsLow: full(0.2), epsHigh: full(0.28) },
};

const sequences = Array.from({ length: ROWS }, (_, r) => ({ image: new Float32Array(3), promptTokens: [1], responseTokens: [r + 2] }));

interface Recorded {
  forwards: ForwardRequest[];
  backwards: ForwardBackwardRequest[];
  steps: number;
}

/** An engine whose forward answers logp = −1 − 0.1·(steps taken) and whose optimizer refuses the steps listed. */
const scriptedEngine = (refuse: ReadonlySet<number>): Engine & { readonly recorded: Recorded } => {
  const recorded: Recorded = { forwards: [], backwards: [], steps: 0 };
  let attempts = 0;
  const logp = (rows: number): Matrix => matrix(rows, WIDTH, new Float64Array(rows * WIDTH).fill(-1 - 0.1 * recorded.steps));
  const unused = async () => E.left(new StageError('scripted-engine', 'method', null, 'invalid', 'is not used by these tests'));
  return {
    recorded,
    info: { engine: 'scripted', model: 'none', device: 'none', imageSize: 1, maxPromptTokens: 8, maxResponseTokens: WIDTH, parameterCount: 0 },
    capabilities: { entropy: true, entropyWeights: false, maskedImages: true, reference: false, tokenBudget: null },
    sample: unused,
    forward: async (request) => {
      recorded.forwards.push(request);
      const rows = request.sequences.length;
      return E.right({ logp: logp(rows), entropy: request.entropy === true ? matrix(rows, WIDTH, new Float64Array(rows * WIDTH).fill(0.5)) : null, mask: matrix(rows, WIDTH) });
    },
    forwardBackward: async (request) => {
      recorded.backwards.push(request);
      return E.right({ surrogate: 0, terms: request.terms.map(() => ({ logp: logp(request.sequences.length), entropy: null, mask: matrix(request.sequences.length, WIDTH) })), tokens: 10 });
    },
    optimStep: async () => {
      const attempt = attempts++;
      if (refuse.has(attempt)) return E.left(new StageError('scripted-engine.optimStep', 'gradNorm', null, 'not-finite', 'is NaN; nothing was applied'));
      recorded.steps++;
      return E.right({ steps: recorded.steps, gradNorm: 2, clipScale: 1 });
    },
    steps: () => recorded.steps,
    save: unused,
    load: unused,
    savePolicy: unused,
    liveResources: () => 0,
    dispose: async () => undefined,
  };
};

/** An objective with gradient ∂L/∂logp = −A·mask and metrics that count its calls. */
const recordingObjective = (seen: ObjectiveInput[]): Objective => (input) => {
  seen.push(input);
  const grad = matrix(input.mask.rows, input.mask.cols, input.mask.data.map((m, i) => -m * input.advantages[Math.floor(i / input.mask.cols)]!));
  return E.right({
    loss: 0.5,
    gradLogp: grad,
    gradMaskedLogp: input.maskedLogp === undefined ? null : matrix(input.mask.rows, input.mask.cols),
    gradEntropy: null,
    metrics: { pgLoss: 0.5, clipFrac: 0.25, approxKl: 0.1, klLoss: 0, papoLoss: 0, entropyLoss: 0, entropy: 0.5 },
  });
};

const settings = (objective: Objective, maskedView: UpdateSettings['maskedView'] = null): UpdateSettings => ({
  objective,
  needs: { reference: false, maskedView: maskedView !== null, entropyWeights: false },
  entropyMetric: true,
  optimizer: { learningRate: 1e-3, warmupSteps: 2, schedule: 'constant', totalSteps: 10, minLearningRateRatio: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, maxGradNorm: 1 },
  maskedView,
});

describe('runUpdates through the engine contract', () => {
  it('hands the objective the current log-probs and backpropagates its ∂L/∂logp, one optimizer step per mini-batch', async () => {
    const engine = scriptedEngine(new Set());
    const seen: ObjectiveInput[] = [];
    const outcome = await runUpdates(engine, settings(recordingObjective(seen)), { sequences, batch }, { miniBatches: [[0, 1], [2, 3], [0, 1, 2, 3]] });
    expect(E.isRight(outcome) && outcome.right.updates).toBe(3);
    expect(engine.recorded.steps).toBe(3);
    expect(seen.map((s) => s.logp.data[0])).toEqual([-1, -1.1, -1.2]);
    expect(engine.recorded.backwards.map((b) => b.sequences.map((s) => s.responseTokens[0]))).toEqual([[2, 3], [4, 5], [2, 3, 4, 5]]);
    expect(Array.from(engine.recorded.backwards[1]!.terms[0]!.logpWeights.data)).toEqual(Array.from(seen[1]!.mask.data, (m, i) => -m * seen[1]!.advantages[Math.floor(i / WIDTH)]!));
    if (E.isRight(outcome)) expect(outcome.right.learningRate).toBeCloseTo(1e-3, 12);
  });

  it('reuses the caller’s forward for the first update while the engine has taken no step', async () => {
    const engine = scriptedEngine(new Set());
    const seen: ObjectiveInput[] = [];
    const current = { forward: { logp: full(-0.7), entropy: full(0.3), mask }, atStep: 0 };
    await runUpdates(engine, settings(recordingObjective(seen)), { sequences, batch, current }, { miniBatches: [[1, 2], [0, 3]] });
    expect(engine.recorded.forwards).toHaveLength(1);
    expect(seen[0]!.logp.data[0]).toBe(-0.7);
    expect(seen[1]!.logp.data[0]).toBeCloseTo(-1.1, 12);
  });

  it('skips a mini-batch whose gradient is not finite, counts it, and keeps the others', async () => {
    const engine = scriptedEngine(new Set([0]));
    const outcome = await runUpdates(engine, settings(recordingObjective([])), { sequences, batch }, { miniBatches: [[0, 1], [2, 3], [0, 1, 2, 3]] });
    if (E.isLeft(outcome)) throw outcome.left;
    expect(outcome.right.updates).toBe(2);
    expect(outcome.right.skipped.map((e) => e.field)).toEqual(['gradNorm']);
    expect(outcome.right.gradNorm).toBe(2);
    for (const value of Object.values(outcome.right.metrics)) expect(Number.isFinite(value)).toBe(true);
  });

  it('adds PAPO’s masked-view term with a seed per update', async () => {
    const engine = scriptedEngine(new Set());
    const seen: ObjectiveInput[] = [];
    await runUpdates(engine, settings(recordingObjective(seen), { probability: 0.6, seed: 40 }), { sequences, batch }, { miniBatches: [[0, 1], [2, 3]] });
    expect(seen.every((s) => s.maskedLogp !== undefined)).toBe(true);
    expect(engine.recorded.backwards.map((b) => b.terms.map((t) => (t.view.kind === 'masked' ? t.view.seed : 'full')))).toEqual([
      ['full', 40],
      ['full', 41],
    ]);
  });

  it('fails, naming the field, on a batch that was not shaped', async () => {
    const engine = scriptedEngine(new Set());
    const { advantages: _, ...unshaped } = batch;
    const outcome = await runUpdates(engine, settings(recordingObjective([])), { sequences, batch: unshaped }, { miniBatches: [[0]] });
    expect(E.isLeft(outcome) && outcome.left.field).toBe('batch.advantages');
    expect(engine.recorded.steps).toBe(0);
  });
});

describe('runUpdates through a built-in loss', () => {
  const objectiveConfig: ObjectiveConfig = {
    policyLoss: 'ppo',
    lossAgg: 'token-mean',
    normConstant: WIDTH,
    dualClipC: null,
    kl: { coef: 0, estimator: 'k3', lossAgg: 'token-mean', sequenceWeights: false },
    papo: null,
    entropy: { coef: 0, lossAgg: 'token-mean' },
  };
  const built = buildObjective(objectiveConfig);
  if (E.isLeft(built)) throw built.left;
  const plan = builtinLossPlan({ objective: objectiveConfig, clip: { kind: 'scalar', epsLow: 0.2, epsHigh: 0.28 } });
  const builtinSettings: UpdateSettings = { ...settings(built.right), entropyMetric: false, builtinLoss: plan };

  /** The scripted engine with `forwardBackwardBuiltin`; its reported loss is the token sum times `lossScale`. */
  const builtinEngine = (lossScale = 1) => {
    const engine = scriptedEngine(new Set());
    const calls: BuiltinLossRequest[] = [];
    const withBuiltin: Engine = {
      ...engine,
      capabilities: { ...engine.capabilities, entropy: false, builtinLosses: ['ppo'] },
      forwardBackward: engine.forwardBackward,
      forwardBackwardBuiltin: async (request) => {
        calls.push(request);
        const forward = await engine.forward({ sequences: request.sequences, responseWidth: request.responseWidth });
        engine.recorded.forwards.pop();
        if (E.isLeft(forward)) return forward;
        const { loss } = builtinLossSum(request, forward.right.logp);
        return E.right({ loss: loss * lossScale, forward: { ...forward.right, mask: selectRows(batch.mask, request.sequences.map((s) => s.responseTokens[0]! - 2)) }, tokens: 7 });
      },
      steps: engine.steps,
      optimStep: engine.optimStep,
    };
    return { engine: withBuiltin, recorded: engine.recorded, calls };
  };

  it('takes one built-in call per mini-batch, no forward, with the metrics the gradient path reports', async () => {
    const viaBuiltin = builtinEngine();
    const viaGradient = scriptedEngine(new Set());
    const plans = { miniBatches: [[0, 1], [2, 3], [0, 1, 2, 3]] };
    const a = await runUpdates(viaBuiltin.engine, builtinSettings, { sequences, batch }, plans);
    const b = await runUpdates(viaGradient, { ...builtinSettings, builtinLoss: undefined }, { sequences, batch }, plans);
    if (E.isLeft(a) || E.isLeft(b)) throw new Error('an update failed');
    expect(viaBuiltin.calls.map((c) => c.loss)).toEqual(['ppo', 'ppo', 'ppo']);
    expect(viaBuiltin.recorded.forwards).toHaveLength(0);
    expect(viaBuiltin.recorded.backwards).toHaveLength(0);
    expect(viaGradient.recorded.forwards).toHaveLength(3);
    expect(a.right.metrics).toEqual(b.right.metrics);
    expect(a.right.updates).toBe(3);
    expect(viaBuiltin.calls[0]!.thresholds).toEqual({ clipLow: 0.8, clipHigh: 1.28 });
  });

  it("adds a cross_entropy-style term where a log-ratio is beyond rlflow's ±20 clamp, so the gradient is still rlflow's", async () => {
    const viaBuiltin = builtinEngine();
    const far = { ...batch, oldLogp: full(-30) };
    const outcome = await runUpdates(viaBuiltin.engine, builtinSettings, { sequences, batch: far }, { miniBatches: [[0, 1]] });
    expect(E.isRight(outcome) && outcome.right.updates).toBe(1);
    expect(viaBuiltin.calls).toHaveLength(1);
    expect(viaBuiltin.recorded.backwards).toHaveLength(1);
    const delta = viaBuiltin.recorded.backwards[0]!.terms[0]!.logpWeights;
    // Row 1 (A = −1): rlflow's gradient is 0 beyond the clamp, the built-in one −A'·e^29; row 0 (A = 1) is clipped in both.
    expect(Array.from(delta.data.slice(0, WIDTH))).toEqual([0, 0, 0]);
    expect(delta.data[WIDTH]!).toBeLessThan(0);
  });

  it('refuses an engine whose reported loss is not the token sum (a normalising server), before its optimizer step', async () => {
    const viaBuiltin = builtinEngine(0.5);
    const outcome = await runUpdates(viaBuiltin.engine, builtinSettings, { sequences, batch }, { miniBatches: [[0, 1, 2, 3]] });
    expect(E.isLeft(outcome) && outcome.left.field).toBe('builtinLoss');
    expect(viaBuiltin.recorded.steps).toBe(0);
  });

  it('takes the gradient path where the engine lacks the loss, the plan refuses, or a mini-batch has other bounds', async () => {
    const noCapability = scriptedEngine(new Set());
    await runUpdates(noCapability, builtinSettings, { sequences, batch }, { miniBatches: [[0, 1]] });
    expect(noCapability.recorded.backwards).toHaveLength(1);
    const refused = builtinEngine();
    await runUpdates(refused.engine, { ...builtinSettings, builtinLoss: E.left({ reason: 'kl-term', coef: 0.05 }) }, { sequences, batch }, { miniBatches: [[0, 1]] });
    expect(refused.calls).toHaveLength(0);
    expect(refused.recorded.backwards).toHaveLength(1);
    const perToken = builtinEngine();
    const other = { ...batch, clipBounds: { epsLow: full(0.2), epsHigh: full(0.3) } };
    await runUpdates(perToken.engine, builtinSettings, { sequences, batch: other }, { miniBatches: [[0, 1]] });
    expect(perToken.calls).toHaveLength(0);
    expect(perToken.recorded.backwards).toHaveLength(1);
  });
});
