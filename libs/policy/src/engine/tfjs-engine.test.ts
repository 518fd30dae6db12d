/**
 * The TensorFlow.js engine on the tiny configuration (cpu backend, float32): the engine contract
 * suite, then what only this engine can show — forwardBackward's parameter gradients against
 * central finite differences of Σ w·logp + Σ u·H, and the gradient-by-log-prob identity: the
 * ppo loss's ∂loss/∂logp fed back as w gives the gradient tfjs autodiff takes through the
 * tensor form of the same loss.
 */
import * as E from 'fp-ts/lib/Either.js';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { matrix, Rng, unwrap, type Matrix } from '@rlflow/core';
import { policyLosses } from '@rlflow/clipping';
import { ppoTensor } from '../tensor/index.js';
import type { EngineOptions, WeightedTerm } from '@rlflow/engine';
import { promptSeed } from '@rlflow/engine';
import { describeEngineContract } from '@rlflow/engine/testing';
import { initBackend } from '../backend.js';
import { tinyPolicyConfig } from '../config.js';
import { Policy, teacherForcedRows } from '../policy.js';
import { CONTRACT_WIDTH, contractFixtures, contractPrompts, contractSequences } from './contract-fixtures.js';
import { ACTIVE_DEVICE, createTfjsEngine, TfjsEngine } from './tfjs-engine.js';

const config = tinyPolicyConfig;
const WIDTH = CONTRACT_WIDTH;
const prompts = contractPrompts;
const sequences = contractSequences;

beforeAll(async () => {
  await initBackend('cpu');
});

describeEngineContract('tfjs (cpu, tiny)', createTfjsEngine, contractFixtures('cpu'));

const engineOptions = (tokenBudget: number): EngineOptions => ({ init: { kind: 'seed', seed: 5 }, model: config, reference: false, tokenBudget, device: 'cpu' });

const weights = (seed: number, scale: number): Matrix => {
  const rng = Rng.fromSeed(seed);
  return matrix(sequences.length, WIDTH, Float64Array.from({ length: sequences.length * WIDTH }, () => scale * (2 * rng.next() - 1)));
};

const masked = (m: Matrix, mask: Matrix): number => m.data.reduce((sum, x, i) => sum + (mask.data[i] === 1 ? x : 0), 0);

describe('tfjs engine: options', () => {
  it('refuses a bad model configuration and a bad device, naming the field', async () => {
    const badModel = await createTfjsEngine({ ...engineOptions(0), model: { ...config, dModel: -1 } });
    expect(E.isLeft(badModel) && [badModel.left.field, badModel.left.message.includes('dModel')]).toEqual(['model', true]);
    const badDevice = await createTfjsEngine({ ...engineOptions(0), device: 'gpu' });
    expect(E.isLeft(badDevice) && badDevice.left.field).toBe('device');
    const missing = await createTfjsEngine({ ...engineOptions(0), init: { kind: 'weights', dir: '/nonexistent/rlflow-policy' } });
    expect(E.isLeft(missing) && missing.left.field).toBe('init.dir');
  });

  it('keeps the backend already active with device "active"', async () => {
    const engine = unwrap(await createTfjsEngine({ ...engineOptions(0), device: ACTIVE_DEVICE }));
    expect([engine.info.device, tf.getBackend()]).toEqual(['cpu', 'cpu']);
    await engine.dispose();
  });
});

describe('tfjs engine: sampling', () => {
  it('reads logits asynchronously and samples what the synchronous Policy.generate samples, rows prompt-major', async () => {
    const engine = unwrap(await createTfjsEngine(engineOptions(0)));
    const sampling = { temperature: 1.1, topP: 0.95, topK: 0, maxNewTokens: WIDTH };
    const samples = unwrap(await engine.sample({ prompts, samplesPerPrompt: 2, sampling, seed: 9 }));
    const policy = Policy.create(config, 5);
    const rows = prompts.flatMap((p) => [p, p]);
    const expected = unwrap(policy.generate(rows, sampling, 9, { samplesPerPrompt: 2 }));
    policy.dispose();
    expect(samples.tokens).toEqual(expected.tokens);
    expect(Array.from(samples.logprobs.data)).toEqual(Array.from(expected.logprobs.data));
    expect(Array.from(samples.samplerLogprobs.data)).toEqual(Array.from(expected.samplerLogprobs.data));
    const bad = await engine.sample({ prompts, samplesPerPrompt: 2, sampling: { ...sampling, topP: 0 }, seed: 9 });
    expect(E.isLeft(bad) && [bad.left.stage, bad.left.field]).toEqual(['engine.tfjs.sample', 'sampling.topP']);
    const badPrompt = await engine.sample({ prompts: [{ ...prompts[0]!, promptTokens: [] }], samplesPerPrompt: 1, sampling, seed: 9 });
    expect(E.isLeft(badPrompt) && badPrompt.left.field).toBe('prompts[0].promptTokens');
    await engine.dispose();
  });

  it("draws prompt p's samples from promptSeed(seed, p): a prompt sampled alone gives the rows it has in the batch", async () => {
    const engine = unwrap(await createTfjsEngine(engineOptions(0)));
    const sampling = { temperature: 1, topP: 1, topK: 0, maxNewTokens: WIDTH };
    const all = unwrap(await engine.sample({ prompts, samplesPerPrompt: 2, sampling, seed: 9 }));
    for (let p = 0; p < prompts.length; p++) {
      const alone = unwrap(await engine.sample({ prompts: [prompts[p]!], samplesPerPrompt: 2, sampling, seed: promptSeed(9, p) }));
      expect(alone.tokens).toEqual(all.tokens.slice(2 * p, 2 * p + 2));
      expect(Array.from(alone.samplerLogprobs.data)).toEqual(Array.from(all.samplerLogprobs.data.subarray(2 * p * WIDTH, (2 * p + 2) * WIDTH)));
    }
    await engine.dispose();
  });
});

describe('tfjs engine: gradients', () => {
  it('(d1) accumulates parameter gradients equal to central finite differences of Σ w·logp + Σ u·H', async () => {
    const engine = unwrap(await TfjsEngine.create(engineOptions(70)));
    const terms: WeightedTerm[] = [
      { view: { kind: 'full' }, logpWeights: weights(1, 1) },
      { view: { kind: 'masked', probability: 0.5, seed: 3 }, logpWeights: weights(2, 0.5), entropyWeights: weights(3, 0.5) },
    ];
    unwrap(await engine.forwardBackward({ sequences, responseWidth: WIDTH, terms }));
    const gradients = await engine.accumulatedGradients();
    const objective = async (): Promise<number> => {
      let total = 0;
      for (const term of terms) {
        const out = unwrap(await engine.forward({ sequences, responseWidth: WIDTH, view: term.view, entropy: true }));
        total += masked(matrix(out.logp.rows, out.logp.cols, out.logp.data.map((x, i) => x * term.logpWeights.data[i]!)), out.mask);
        if (term.entropyWeights !== undefined) total += masked(matrix(out.logp.rows, out.logp.cols, out.entropy!.data.map((x, i) => x * term.entropyWeights!.data[i]!)), out.mask);
      }
      return total;
    };
    const variables = engine.policyVariables();
    const names = ['embed.tokens', 'image.patch.w', 'encoder.0.attn.qkv.w', 'decoder.0.attn.qkv.w', 'decoder.1.mlp.up.b', 'decoder.norm', 'head.w'];
    for (const name of names) {
      const variable = variables.get(name)!;
      const g = gradients.get(name)!;
      let index = 0;
      g.forEach((x, i) => (Math.abs(x) > Math.abs(g[index]!) ? (index = i) : undefined));
      const values = Float32Array.from(await variable.data());
      const at = async (delta: number): Promise<number> => {
        const moved = Float32Array.from(values);
        moved[index] = values[index]! + delta;
        tf.tidy(() => variable.assign(tf.tensor(moved, variable.shape)));
        return objective();
      };
      const h = 1e-2;
      const numeric = ((await at(h)) - (await at(-h))) / (2 * h);
      tf.tidy(() => variable.assign(tf.tensor(values, variable.shape)));
      expect(Math.abs(numeric - g[index]!), `${name}[${index}]: engine ${g[index]}, finite difference ${numeric}`).toBeLessThan(1e-2 + 3e-2 * Math.abs(numeric));
    }
    await engine.dispose();
  });

  it('(d2) gives the gradient of autodiff through ppoTensor when w = ∂loss/∂logp of the plain ppo loss (≤ 1e-5 relative)', async () => {
    for (const tokenBudget of [0, 70]) {
      const engine = unwrap(await TfjsEngine.create(engineOptions(tokenBudget)));
      const { logp, mask } = unwrap(await engine.forward({ sequences, responseWidth: WIDTH }));
      const shifts = [-0.4, -0.05, 0.05, 0.4];
      const oldLogp = matrix(logp.rows, logp.cols, logp.data.map((x, i) => (mask.data[i] === 1 ? x + shifts[i % shifts.length]! : 0)));
      const rowAdvantage = [1, -0.5, 0.8, -1.2];
      const advantages = matrix(logp.rows, logp.cols, Float64Array.from(logp.data, (_, i) => rowAdvantage[Math.floor(i / WIDTH)]!));
      const params = { epsLow: 0.2, epsHigh: 0.28, dualClipC: 3 };
      const plain = unwrap(policyLosses.ppo.plain(params)({ logp, oldLogp, advantages, mask }));
      expect(plain.clipFrac).toBeGreaterThan(0);
      unwrap(await engine.forwardBackward({ sequences, responseWidth: WIDTH, terms: [{ view: { kind: 'full' }, logpWeights: plain.gradLogp }] }));
      const viaContract = await engine.accumulatedGradients();
      const tensorsBefore = tf.memory().numTensors;

      const variables = engine.policyVariables();
      const rows = sequences.map((_, i) => i);
      const { value, grads } = tf.variableGrads(() => {
        const out = teacherForcedRows(variables, config, sequences, rows, WIDTH, undefined);
        const input = {
          logp: out.logp,
          oldLogp: tf.tensor2d(Float32Array.from(oldLogp.data), [logp.rows, WIDTH]),
          advantages: tf.tensor2d(Float32Array.from(advantages.data), [logp.rows, WIDTH]),
          mask: tf.tensor2d(Float32Array.from(mask.data), [logp.rows, WIDTH]),
        };
        return unwrap(ppoTensor(params)(input)).loss;
      }, [...variables.values()]);
      expect(Math.abs((await value.data())[0]! - plain.loss)).toBeLessThan(1e-5);
      let differenceSq = 0;
      let normSq = 0;
      for (const [name, variable] of variables) {
        const autodiff = await grads[variable.name]!.data();
        const contract = viaContract.get(name)!;
        autodiff.forEach((x, i) => {
          differenceSq += (x - contract[i]!) ** 2;
          normSq += x * x;
        });
      }
      value.dispose();
      Object.values(grads).forEach((g) => g.dispose());
      expect(normSq).toBeGreaterThan(0);
      expect(Math.sqrt(differenceSq / normSq), `token budget ${tokenBudget}`).toBeLessThanOrEqual(1e-5);
      expect(tf.memory().numTensors).toBe(tensorsBefore);
      await engine.dispose();
    }
  });
});
