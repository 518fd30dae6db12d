/**
 * Correctness of the engine on a tiny configuration (cpu backend, float32): the tokenizer round
 * trip, cached generation against teacher forcing and against uncached decoding, gradients
 * against finite differences, the sampler against its distributions, determinism, exact weight
 * round trips, and tensor counts that stay put; 50 supervised steps through the TensorFlow.js
 * engine (engine/tfjs-engine.ts) lower the loss.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import * as E from 'fp-ts/lib/Either.js';
import { matrix, Rng, unwrap, type Matrix } from '@rlflow/core';
import { FULL_VIEW, type AdamWParams, type SequenceInput } from '@rlflow/engine';
import { initBackend } from './backend.js';
import { geometry, tinyPolicyConfig, type PolicyConfig } from './config.js';
import { ACTIVE_DEVICE, TfjsEngine } from './engine/tfjs-engine.js';
import { createPolicy, Policy, teacherForcedRows } from './policy.js';
import { sampleToken, samplingDistribution } from './sampling.js';
import { ALPHABET, EOS_ID, SPECIAL_TOKENS, tokenizer } from './tokenizer.js';

const config: PolicyConfig = { ...tinyPolicyConfig, maxPromptTokens: 16, maxResponseTokens: 8 };

const image = (seed: number): Float32Array => {
  const rng = Rng.fromSeed(seed);
  return Float32Array.from({ length: 32 * 32 * 3 }, () => rng.next());
};

const prompts = [
  { image: image(1), promptTokens: unwrap(tokenizer.encode('how many red?')) },
  { image: image(2), promptTokens: unwrap(tokenizer.encode('A:3 B:4')) },
  { image: image(3), promptTokens: unwrap(tokenizer.encode('2+5=')) },
];

beforeAll(async () => {
  await initBackend('cpu');
});

describe('tokenizer', () => {
  it('decodes what it encodes, special tokens included', () => {
    const piece = fc.oneof(fc.constantFrom(...SPECIAL_TOKENS.filter((t) => t !== '<pad>' && t !== '<eos>' && t !== '<image>')), fc.constantFrom(...ALPHABET.split('')));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (pieces) => {
        const text = pieces.join('');
        expect(unwrap(tokenizer.decode(unwrap(tokenizer.encode(text))))).toBe(text);
      }),
    );
    expect(unwrap(tokenizer.encode('<think>3</think>'))).toHaveLength(3);
  });

  it('rejects a character outside its alphabet, naming its position', () => {
    const bad = tokenizer.encode('ok \u00e9');
    expect(E.isLeft(bad) && bad.left.index).toBe(3);
  });
});

describe('generation', () => {
  it('returns log-probs equal to teacher forcing of the same tokens, and cached logits equal uncached ones', () => {
    const policy = createPolicy(config, 7);
    const sampling = { temperature: 1, topP: 1, topK: 0, maxNewTokens: 8 };
    const cachedLogits: Float32Array[] = [];
    const uncachedLogits: Float32Array[] = [];
    const cached = unwrap(policy.generate(prompts, sampling, 11, { onStepLogits: (_, l) => cachedLogits.push(Float32Array.from(l)) }));
    const uncached = unwrap(policy.generate(prompts, sampling, 11, { useCache: false, onStepLogits: (_, l) => uncachedLogits.push(Float32Array.from(l)) }));
    expect(uncached.tokens).toEqual(cached.tokens);
    cachedLogits.forEach((step, s) => step.forEach((x, i) => expect(Math.abs(x - uncachedLogits[s]![i]!)).toBeLessThan(1e-4)));

    const sequences: SequenceInput[] = prompts.map((p, i) => ({ ...p, responseTokens: cached.tokens[i]! }));
    const forced = unwrap(policy.logProbs(sequences, { responseWidth: 8 }));
    for (let i = 0; i < cached.mask.data.length; i++) {
      if (cached.mask.data[i] === 1) expect(Math.abs(cached.logprobs.data[i]! - forced.logp.data[i]!)).toBeLessThan(1e-4);
    }
    policy.dispose();
  });

  it('is deterministic per seed, stops rows at end of sequence, and leaves the tensor count as it was', () => {
    const policy = createPolicy(config, 3);
    const before = tf.memory().numTensors;
    const sampling = { temperature: 1.2, topP: 0.9, topK: 20, maxNewTokens: 8 };
    const a = unwrap(policy.generate(prompts, sampling, 5));
    const b = unwrap(policy.generate(prompts, sampling, 5));
    const c = unwrap(policy.generate(prompts, sampling, 6));
    expect(tf.memory().numTensors).toBe(before);
    expect(b.tokens).toEqual(a.tokens);
    expect(c.tokens).not.toEqual(a.tokens);
    a.tokens.forEach((row, i) => {
      const end = row.indexOf(EOS_ID);
      expect(end === -1 ? row.length : end + 1).toBe(a.lengths[i]);
    });
    policy.dispose();
  });
});

describe('sampling', () => {
  it('draws tokens with the frequencies of the temperature / top-p distribution (chi-square, fixed seed)', () => {
    const logits = [2, 1.5, 1, 0.2, -1, -3];
    for (const params of [
      { temperature: 1, topP: 1, topK: 0 },
      { temperature: 0.5, topP: 1, topK: 0 },
      { temperature: 1.3, topP: 0.8, topK: 0 },
      { temperature: 1, topP: 1, topK: 3 },
    ]) {
      const q = samplingDistribution(logits, params);
      const rng = Rng.fromSeed(42);
      const n = 20000;
      const counts = new Array<number>(logits.length).fill(0);
      for (let i = 0; i < n; i++) counts[sampleToken(logits, { ...params, maxNewTokens: 1 }, rng.next()).token]!++;
      let chi2 = 0;
      let cells = 0;
      q.forEach((p, k) => {
        if (p === 0) expect(counts[k]).toBe(0);
        else {
          chi2 += (counts[k]! - n * p) ** 2 / (n * p);
          cells++;
        }
      });
      // 99.9% quantile of chi-square with ≤ 5 degrees of freedom is 20.5.
      expect(chi2, `chi2 ${chi2} over ${cells} cells for ${JSON.stringify(params)}`).toBeLessThan(20.5);
    }
  });
});

describe('training', () => {
  const sequences: SequenceInput[] = prompts.map((p, i) => ({ ...p, responseTokens: [10 + i, 11, 12, EOS_ID] }));

  it('computes gradients that match finite differences', () => {
    const policy = createPolicy(config, 9);
    const params = policy.variables;
    const objective = () => tf.tidy(() => tf.sum(teacherForcedRows(params, config, sequences, [0, 1, 2], 4, undefined).logp).dataSync()[0]!);
    for (const name of [...params.keys()].filter((_, i) => i % 5 === 0).slice(0, 4)) {
      const variable = params.get(name)!;
      const { value, grads } = tf.variableGrads(() => tf.sum(teacherForcedRows(params, config, sequences, [0, 1, 2], 4, undefined).logp) as tf.Scalar, [variable]);
      value.dispose();
      const g = grads[variable.name]!.dataSync();
      const values = Float32Array.from(variable.dataSync());
      const index = values.length >> 1;
      const h = 1e-2;
      const at = (delta: number): number => {
        const moved = Float32Array.from(values);
        moved[index] = values[index]! + delta;
        tf.tidy(() => variable.assign(tf.tensor(moved, variable.shape)));
        return objective();
      };
      const numeric = (at(h) - at(-h)) / (2 * h);
      tf.tidy(() => variable.assign(tf.tensor(values, variable.shape)));
      Object.values(grads).forEach((t) => t.dispose());
      expect(Math.abs(numeric - g[index]!), `${name}[${index}]: autodiff ${g[index]}, finite difference ${numeric}`).toBeLessThan(2e-2 + 5e-2 * Math.abs(numeric));
    }
    policy.dispose();
  });

  it('lowers the supervised loss over 50 engine steps in micro-batches, keeping the tensor count after one step and after 50', async () => {
    const width = 4;
    const tokens = sequences.reduce((n, s) => n + s.responseTokens.length, 0);
    // w = ∂L/∂logp of L = −Σ logp / N (the token-mean negative log-likelihood): forwardBackward's surrogate is L.
    const supervised: Matrix = matrix(sequences.length, width, new Float64Array(sequences.length * width).fill(-1 / tokens));
    const adamW: AdamWParams = { learningRate: 3e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1 };
    const engine = unwrap(await TfjsEngine.create({ init: { kind: 'seed', seed: 4 }, model: config, reference: true, tokenBudget: 40, device: ACTIVE_DEVICE }));
    const before = tf.memory().numTensors;
    const step = async () => {
      const pass = unwrap(await engine.forwardBackward({ sequences, responseWidth: width, terms: [{ view: FULL_VIEW, logpWeights: supervised }] }));
      unwrap(await engine.optimStep(adamW));
      return pass;
    };
    const first = await step();
    // One pass over all rows would compute 3 × (image + widest prompt + width) positions; the 40-token budget cuts it smaller.
    const { imageTokens } = geometry(config);
    expect(first.tokens).toBeLessThan(sequences.length * (imageTokens + Math.max(...sequences.map((s) => s.promptTokens.length)) + width));
    expect(tf.memory().numTensors).toBe(before);
    let last = first;
    for (let i = 0; i < 49; i++) last = await step();
    expect(tf.memory().numTensors).toBe(before);
    expect(engine.steps()).toBe(50);
    expect(last.surrogate).toBeLessThan(first.surrogate);
    await engine.dispose();
  });

  it('reproduces logits exactly from exported weights', () => {
    const policy = createPolicy(config, 8);
    const copy = Policy.fromWeights(config, policy.weights());
    const a = unwrap(policy.logProbs(sequences));
    const b = unwrap(copy.logProbs(sequences));
    expect(Array.from(b.logp.data)).toEqual(Array.from(a.logp.data));
    policy.dispose();
    copy.dispose();
  });
});
