/**
 * Every kernel that the model's training forward and the tensor losses record on the gradient
 * tape, on a path from the policy's parameters, has a gradient. The TensorFlow.js engine's
 * autodiff of the tiny model (tinyPolicyConfig; `TfjsEngine.autodiffGradients`, through the same
 * teacher-forced forward its forwardBackward differentiates, with masked images for PAPO) takes
 * a loss that uses every tensor loss in every mode; inside the loss tfjs's active tape is read,
 * and each node whose inputs derive from a parameter must carry a gradient function: a
 * registered kernel gradient (`tf.getGradient(kernelName)`) or, for the model's fused ops, the
 * `tf.customGrad` gradient recorded on the node itself.
 *
 * Reference: gradients.ts (the registrations); docs/algorithms.md §2–§6, §10 (the losses).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, unwrap } from '@rlflow/core';
import { KL_ESTIMATORS, LOSS_AGGREGATIONS, POLICY_LOSS_NAMES } from '@rlflow/clipping';
import type { SequenceInput } from '@rlflow/engine';
import { ACTIVE_DEVICE, TfjsEngine, tinyPolicyConfig, tokenizer } from '../index.js';
import { useCpuBackend } from './cpu-backend.js';
import { aaacTensor } from './losses/aaac.js';
import { aggregateTensor } from './losses/aggregation.js';
import { klLossTensor } from './losses/kl.js';
import { papoTensor } from './losses/papo.js';
import { tensorPolicyLosses } from './losses/policy/registry.js';

/**
 * Kernels that a parameter reaches but that need no gradient function, each with the reason.
 * Casts and comparisons (`Cast`, `Greater`, `GreaterEqual`, `Less`, `LessEqual`) are not here:
 * they do lie between the parameters and the loss (a cast 0/1 mask of a comparison is multiplied
 * into it), and tfjs backpropagates through every node between x and y, so gradients.ts registers
 * them (identity for a cast, zero for a comparison).
 */
const NON_DIFFERENTIABLE: Readonly<Record<string, string>> = {
  [tf.LogicalAnd]: 'boolean logic on comparisons: ppo dual clip\'s clipFracLower metric, which never enters the loss',
  [tf.LogicalOr]: 'boolean logic on comparisons: cispo\'s clipFrac metric (ratio outside the bounds), which never enters the loss',
};

interface TapedKernel {
  readonly kernelName: string;
  /** Some input derives from a policy parameter. */
  readonly touchesParameters: boolean;
  readonly hasGradient: boolean;
}

/** The nodes of the active tape, each marked by whether a parameter reaches one of its inputs. */
const readTape = (parameters: readonly tf.Tensor[]): TapedKernel[] => {
  const reached = new Set(parameters.map((p) => p.id));
  return tf.engine().state.activeTape.map((node) => {
    const touchesParameters = Object.values(node.inputs).some((input) => reached.has(input.id));
    if (touchesParameters) for (const output of node.outputs) reached.add(output.id);
    return { kernelName: node.kernelName, touchesParameters, hasGradient: node.gradient !== undefined };
  });
};

const config = { ...tinyPolicyConfig, maxPromptTokens: 12, maxResponseTokens: 6 };

const image = (seed: number): Float32Array => {
  const rng = Rng.fromSeed(seed);
  return Float32Array.from({ length: config.imageSize * config.imageSize * 3 }, () => rng.next());
};

/** Two rows with responses of different lengths, so masks have padding. */
const sequences: SequenceInput[] = [
  { image: image(1), promptTokens: unwrap(tokenizer.encode('how many?')), responseTokens: unwrap(tokenizer.encode('<think>3</think>')) },
  { image: image(2), promptTokens: unwrap(tokenizer.encode('2+5=')), responseTokens: unwrap(tokenizer.encode('<answer>7</answer>')) },
];
const width = Math.max(...sequences.map((s) => s.responseTokens.length));

const rows = sequences.map((_, i) => i);

/** Every tensor loss, in every mode, on the forward's log-probs; returns their sum with the entropies'. */
const everyLoss = ({ logp, entropy, maskedLogp }: { readonly logp: tf.Tensor2D; readonly entropy: tf.Tensor2D; readonly maskedLogp: tf.Tensor2D | null }): tf.Scalar => {
  const b = rows.length;
  const mask = tf.tensor2d(
    rows.flatMap((r) => Array.from({ length: width }, (_, t) => (t < sequences[r]!.responseTokens.length ? 1 : 0))),
    [b, width],
  );
  const constantOld = tf.tensor2d(Array.from({ length: b * width }, (_, i) => -1 - 0.1 * (i % 5)), [b, width]);
  const perSequence = tf.tensor2d(rows.map((r) => (r % 2 === 0 ? 1.5 : -0.8)), [b, 1]);
  const perToken = tf.add(tf.zeros([b, width]), perSequence) as tf.Tensor2D;
  const bounds = unwrap(aaacTensor()(perSequence));
  const terms: tf.Scalar[] = [tf.sum(entropy)];
  for (const name of POLICY_LOSS_NAMES) {
    const loss = tensorPolicyLosses[name].tensor;
    for (const lossAgg of LOSS_AGGREGATIONS) {
      terms.push(unwrap(loss({ epsLow: 0.2, epsHigh: 0.28, lossAgg })({ logp, oldLogp: constantOld, advantages: perToken, mask })).loss);
    }
    terms.push(unwrap(loss({ epsLow: bounds.epsLow, epsHigh: bounds.epsHigh })({ logp, oldLogp: constantOld, advantages: perSequence, mask })).loss);
  }
  terms.push(unwrap(tensorPolicyLosses.ppo.tensor({ epsLow: 0.2, epsHigh: 0.28, dualClipC: 3 })({ logp, oldLogp: constantOld, advantages: perToken, mask })).loss);
  for (const estimator of KL_ESTIMATORS) {
    terms.push(unwrap(klLossTensor({ estimator, coef: 0.1 })({ logp, refLogp: constantOld, mask })).loss);
    terms.push(unwrap(klLossTensor({ estimator, coef: 0.1, seqWeights: rows.map(() => 0.5) })({ logp, refLogp: constantOld, mask })).loss);
  }
  for (const mode of LOSS_AGGREGATIONS) terms.push(unwrap(aggregateTensor(mode)(logp, mask)));
  const papo = unwrap(papoTensor()({ logp, logpMasked: maskedLogp!, mask }));
  terms.push(papo.loss);
  const total = tf.addN(terms);
  taped.push(...readTape(parameters));
  return total;
};

let parameters: tf.Tensor[] = [];
let gradientNorm: { readonly value: number } | { readonly error: unknown } = { error: 'not run' };
const taped: TapedKernel[] = [];
const reachedKernels = (): string[] => [...new Set(taped.filter((k) => k.touchesParameters).map((k) => k.kernelName))];

beforeAll(async () => {
  await useCpuBackend();
  const engine = unwrap(await TfjsEngine.create({ init: { kind: 'seed', seed: 5 }, model: config, reference: false, tokenBudget: 0, device: ACTIVE_DEVICE }));
  parameters = [...engine.policyVariables().values()];
  try {
    const gradients = await engine.autodiffGradients(sequences, width, { kind: 'masked', probability: 0.5, seed: 3 }, everyLoss);
    let squares = 0;
    for (const g of gradients.values()) for (const x of g) squares += x * x;
    gradientNorm = { value: Math.sqrt(squares) };
  } catch (error) {
    gradientNorm = { error };
  } finally {
    await engine.dispose();
  }
});

describe('kernel gradients on the training tape', () => {
  it('the engine differentiates the whole loss, to a finite non-zero gradient', () => {
    expect(gradientNorm).not.toHaveProperty('error');
    expect('value' in gradientNorm && Number.isFinite(gradientNorm.value) && gradientNorm.value > 0).toBe(true);
  });

  it('the tape holds the forward of the model and of the losses', () => {
    const names = new Set(reachedKernels());
    // kernels only the losses use (ratio, clip, select, KL estimators, aggregation) and the model's own
    for (const kernel of [tf.Exp, tf.ClipByValue, tf.Maximum, tf.Minimum, tf.Select, tf.Sign, tf.Expm1, tf.Square, tf.Sum, tf.Multiply, tf.Sub, tf.Transpose, tf.Reshape, tf.Slice]) {
      expect(names, kernel).toContain(kernel);
    }
  });

  it('every kernel a parameter reaches has tf.getGradient(kernel) defined, except the listed non-differentiable ones', () => {
    const kernels = new Set(reachedKernels().filter((name) => tf.getKernel(name, tf.getBackend()) !== undefined));
    expect(kernels.size).toBeGreaterThan(10);
    const missing = [...kernels].filter((name) => tf.getGradient(name) === undefined && !(name in NON_DIFFERENTIABLE));
    expect(missing).toEqual([]);
  });

  it('every other node a parameter reaches (a tf.customGrad op: the model\'s fused ops, stop-gradient) carries its own gradient', () => {
    const custom = taped.filter((k) => k.touchesParameters && tf.getKernel(k.kernelName, tf.getBackend()) === undefined);
    expect(custom.length).toBeGreaterThan(0);
    for (const k of custom) expect(k.hasGradient, `${k.kernelName || '(unnamed custom op)'} has no gradient`).toBe(true);
  });

  it('the non-differentiable list names only kernels that appear, each with its reason', () => {
    const names = new Set(taped.map((k) => k.kernelName));
    for (const [name, reason] of Object.entries(NON_DIFFERENTIABLE)) {
      expect(names, name).toContain(name);
      expect(reason.length).toBeGreaterThan(0);
    }
  });
});
