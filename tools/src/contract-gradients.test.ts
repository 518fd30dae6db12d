/**
 * The gradient-by-log-prob contract for every preset (docs/algorithms.md §11; docs/architecture.md,
 * "Engines"): on a tiny model, the parameter gradient the trainer's path produces — engine forward
 * → the preset's float64 objective → ∂L/∂logp (∂L/∂maskedLogp, ∂L/∂H) → engine.forwardBackward —
 * equals (1) TensorFlow.js autodiff through the tensor forms of the same objective
 * (≤ 1e-5 relative, float32) and (2) central finite differences of the objective's loss.
 * The batch is shaped by the preset's own stages (advantages, APO split, DADS, STCR, clip bounds)
 * and taken off-policy (oldLogp ≠ logp) with a reference that differs from the policy, so the
 * clip, the KL term and PAPO's terms all take part. Where a loss stops a gradient (cispo's clipped
 * weight, PAPO's perception term on the masked view) the finite differences are of the loss
 * with the stopped quantity held at its value: cispo's ratio by moving oldLogp with logp, PAPO's
 * masked log-probs in the perception term at their starting value.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import * as tf from '@tensorflow/tfjs-core';
import { matrix, Rng, unwrap, type Batch, type Matrix } from '@rlflow/core';
import { papo } from '@rlflow/clipping';
import { buildObjective, FULL_VIEW, type ImageView, type ObjectiveInput, type SequenceInput, type WeightedTerm } from '@rlflow/engine';
import { initBackend, TfjsEngine, tinyPolicyConfig, type PolicyConfig } from '@rlflow/policy';
import { objectiveTensor } from '@rlflow/policy/tensor';
import { objectiveConfig, PRESET_NAMES, resolveConfig, shapeBatch } from '@rlflow/trainer';

const model: PolicyConfig = { ...tinyPolicyConfig, maxPromptTokens: 48, maxResponseTokens: 8 };
const WIDTH = 6;
const G = 4;

beforeAll(async () => {
  await initBackend('cpu');
});

const rng = Rng.fromSeed(11);
const image = Float32Array.from({ length: 32 * 32 * 3 }, () => rng.next());
const responses = [[5, 6, 7, 8], [9, 10], [5, 11, 6, 7, 12, 13], [14], [6, 7, 8], [12, 13, 5, 6, 7], [10, 11], [5, 6, 7, 8, 9]];
const sequences: SequenceInput[] = responses.map((responseTokens, i) => ({ image, promptTokens: [3, 4, 5 + (i >= G ? 1 : 0)], responseTokens }));
const rewards = [1.5, 0.5, 0.5, 1.5, 0.5, 1.5, 0, 0.5];

const maskOf = (): Matrix => matrix(responses.length, WIDTH, Float64Array.from({ length: responses.length * WIDTH }, (_, i) => (i % WIDTH < responses[Math.floor(i / WIDTH)]!.length ? 1 : 0)));
const shifted = (m: Matrix, mask: Matrix, shifts: readonly number[]): Matrix => matrix(m.rows, m.cols, m.data.map((x, i) => (mask.data[i] === 1 ? x + shifts[i % shifts.length]! : 0)));

const relativeError = (a: ReadonlyMap<string, Float32Array>, b: ReadonlyMap<string, Float32Array>): number => {
  let difference = 0;
  let norm = 0;
  for (const [name, x] of b) {
    const y = a.get(name)!;
    x.forEach((v, i) => {
      difference += (v - y[i]!) ** 2;
      norm += v * v;
    });
  }
  expect(norm).toBeGreaterThan(0);
  return Math.sqrt(difference / norm);
};

describe('the gradient-by-log-prob contract, for every preset', () => {
  it.each(PRESET_NAMES.map((p) => [p]))('%s: parameter gradients through the contract equal autodiff and finite differences', async (preset) => {
    const resolved = resolveConfig({ preset, sets: [`rollout.maxNewTokens=${WIDTH}`, 'rollout.groupSize=4', `reward.overlong.maxLen=${WIDTH}`, 'reward.overlong.bufferLen=2'] });
    if (E.isLeft(resolved)) throw new Error(resolved.left.problems.join('; '));
    const config = resolved.right;
    const objectiveSettings = objectiveConfig(config);
    const objective = unwrap(buildObjective(objectiveSettings));
    const engine = unwrap(await TfjsEngine.create({ init: { kind: 'seed', seed: 7 }, model, reference: false, tokenBudget: 90, device: 'active' }));
    const mask = maskOf();
    const current = unwrap(await engine.forward({ sequences, responseWidth: WIDTH, entropy: true }));
    const batch: Batch = {
      groupIds: Int32Array.from(rewards, (_, i) => Math.floor(i / G)),
      promptKeys: rewards.map((_, i) => `p${Math.floor(i / G)}`),
      rewards: Float64Array.from(rewards),
      correct: Uint8Array.from(rewards, (r) => (r > 1 ? 1 : 0)),
      lengths: Int32Array.from(responses, (r) => r.length),
      mask,
      oldLogp: shifted(current.logp, mask, [-0.35, 0.04, 0.3, -0.06, 0.5]),
    };
    const shaped = unwrap(unwrap(shapeBatch(config))(batch));
    const maskedView: ImageView | null = config.papo.enabled ? { kind: 'masked', probability: config.papo.maskProb, seed: 21 } : null;
    const constants = {
      oldLogp: shaped.oldLogp,
      mask,
      advantages: shaped.advantages!,
      epsLow: shaped.clipBounds!.epsLow,
      epsHigh: shaped.clipBounds!.epsHigh,
      ...(config.kl.coef > 0 ? { refLogp: shifted(current.logp, mask, [0.2, -0.3, 0.1]) } : {}),
      ...(shaped.klWeights === undefined ? {} : { klWeights: shaped.klWeights }),
    };
    const inputAt = async (): Promise<ObjectiveInput> => {
      const now = unwrap(await engine.forward({ sequences, responseWidth: WIDTH, entropy: true }));
      const masked = maskedView === null ? undefined : unwrap(await engine.forward({ sequences, responseWidth: WIDTH, view: maskedView })).logp;
      return { ...constants, logp: now.logp, entropy: now.entropy!, ...(masked === undefined ? {} : { maskedLogp: masked }) };
    };

    const start = await inputAt();
    const output = unwrap(objective(start));
    expect(output.metrics.clipFrac + (output.metrics.klLoss === 0 ? 0 : 1)).toBeGreaterThan(0);
    const terms: WeightedTerm[] = [
      { view: FULL_VIEW, logpWeights: output.gradLogp, ...(output.gradEntropy === null ? {} : { entropyWeights: output.gradEntropy }) },
      ...(maskedView !== null && output.gradMaskedLogp !== null ? [{ view: maskedView, logpWeights: output.gradMaskedLogp }] : []),
    ];
    unwrap(await engine.forwardBackward({ sequences, responseWidth: WIDTH, terms }));
    const viaContract = await engine.accumulatedGradients();

    const tensorsBefore = tf.memory().numTensors;
    const autodiff = await engine.autodiffGradients(sequences, WIDTH, maskedView, ({ logp, entropy, maskedLogp }) =>
      objectiveTensor(objectiveSettings, constants)({ logp, maskedLogp, entropy: objectiveSettings.entropy.coef === 0 ? null : entropy }),
    );
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(relativeError(viaContract, autodiff), 'contract vs autodiff').toBeLessThanOrEqual(1e-5);

    // The loss with its stopped quantities held (see the header), for finite differences.
    const perception = (input: ObjectiveInput, logpMasked: Matrix): number =>
      objectiveSettings.papo === null ? 0 : unwrap(papo({ gamma: objectiveSettings.papo.gamma, eta: 0, lossAgg: objectiveSettings.papo.lossAgg, normConstant: objectiveSettings.normConstant })({ logp: input.logp, logpMasked, mask })).loss;
    const heldLoss = (input: ObjectiveInput): number => {
      const held: ObjectiveInput =
        objectiveSettings.policyLoss === 'cispo' ? { ...input, oldLogp: matrix(mask.rows, mask.cols, input.oldLogp.data.map((x, i) => x + input.logp.data[i]! - start.logp.data[i]!)) } : input;
      return unwrap(objective(held)).loss - perception(held, held.maskedLogp ?? start.logp) + perception(held, start.maskedLogp ?? start.logp);
    };
    // Central finite differences of that loss along the largest gradient entry of a few parameters.
    const variables = engine.policyVariables();
    for (const name of ['embed.tokens', 'decoder.0.attn.qkv.w', 'head.w']) {
      const variable = variables.get(name)!;
      const g = viaContract.get(name)!;
      let index = 0;
      g.forEach((x, i) => (Math.abs(x) > Math.abs(g[index]!) ? (index = i) : undefined));
      const values = Float32Array.from(await variable.data());
      const lossAt = async (delta: number): Promise<number> => {
        const moved = Float32Array.from(values);
        moved[index] = values[index]! + delta;
        tf.tidy(() => variable.assign(tf.tensor(moved, variable.shape)));
        return heldLoss(await inputAt());
      };
      const h = 1e-2;
      const numeric = ((await lossAt(h)) - (await lossAt(-h))) / (2 * h);
      tf.tidy(() => variable.assign(tf.tensor(values, variable.shape)));
      expect(Math.abs(numeric - g[index]!), `${name}[${index}]: contract ${g[index]}, finite difference ${numeric}`).toBeLessThan(2e-3 + 5e-2 * Math.abs(numeric));
    }
    await engine.dispose();
  });
});
