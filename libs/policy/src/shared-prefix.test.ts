/**
 * Shared prefixes (shared-prefix.ts, shared-prefix-model.ts) on a tiny model (cpu backend):
 * rows are grouped by image, prompt and blackened patches; the packed forward gives the plain
 * path's log-probs and entropies, and the parameter gradient of Σ w·logp + Σ u·H equals the
 * plain path's within 1e-5 relative, for uniform contiguous groups, for groups of mixed sizes in
 * any order, with responses of different lengths and with a masked view; a shared prefill
 * decodes the same tokens with the same log-probs and logits as the plain one; no tensor is left behind.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@rlflow/core';
import { initBackend } from './backend.js';
import { geometry, tinyPolicyConfig, type PolicyConfig } from './config.js';
import type { LayoutInput } from './layout.js';
import { Policy, patchFlags, teacherForcedRows } from './policy.js';
import { prefixGroups, sharesPrefixes } from './shared-prefix.js';
import { teacherForcedShared } from './shared-prefix-model.js';
import { generateWith } from './generate.js';

const config: PolicyConfig = { ...tinyPolicyConfig, maxPromptTokens: 8, maxResponseTokens: 6 };
const { imageTokens } = geometry(config);

beforeAll(async () => {
  await initBackend('cpu');
});

const image = (rng: Rng): Float32Array => Float32Array.from({ length: config.imageSize * config.imageSize * 3 }, () => rng.next());

/** `groupSizes[i]` rows for prompt i, rows in the order `order` gives (identity when absent). */
const sequencesOf = (seed: number, groupSizes: readonly number[], order?: readonly number[]): LayoutInput[] => {
  const rng = Rng.fromSeed(seed);
  const prompts = groupSizes.map(() => ({
    image: image(rng),
    promptTokens: Array.from({ length: 1 + rng.int(config.maxPromptTokens) }, () => 7 + rng.int(config.vocabSize - 7)),
  }));
  const rows = groupSizes.flatMap((g, p) =>
    Array.from({ length: g }, () => ({
      // A copy of the image: groups are found by content, not by reference.
      image: Float32Array.from(prompts[p]!.image),
      promptTokens: [...prompts[p]!.promptTokens],
      responseTokens: Array.from({ length: rng.int(config.maxResponseTokens + 1) }, () => 7 + rng.int(config.vocabSize - 7)),
    })),
  );
  return order === undefined ? rows : order.map((i) => rows[i]!);
};

const relativeError = (a: Float32Array, b: Float32Array): number => {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    diff += (a[i]! - b[i]!) ** 2;
    norm += b[i]! ** 2;
  }
  return Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-30);
};

interface PassResult {
  readonly logp: Float32Array;
  readonly entropy: Float32Array;
  readonly grads: Map<string, Float32Array>;
}

const pass = (policy: Policy, sequences: readonly LayoutInput[], width: number, flags: Uint8Array | undefined, shared: boolean): PassResult => {
  const rows = sequences.map((_, i) => i);
  const rng = Rng.fromSeed(99);
  const w = tf.tensor2d(Float32Array.from({ length: rows.length * width }, () => rng.normal()), [rows.length, width]);
  const u = tf.tensor2d(Float32Array.from({ length: rows.length * width }, () => rng.normal()), [rows.length, width]);
  const kept: tf.Tensor[] = [];
  const variables = [...policy.variables.values()];
  const { value, grads } = tf.variableGrads(() => {
    const out = shared ? teacherForcedShared(policy.variables, config, sequences, rows, width, flags) : teacherForcedRows(policy.variables, config, sequences, rows, width, flags);
    kept.push(tf.keep(out.logp), tf.keep(out.entropy));
    return tf.add(tf.sum(tf.mul(w, out.logp)), tf.sum(tf.mul(u, out.entropy))) as tf.Scalar;
  }, variables);
  const result: PassResult = {
    logp: kept[0]!.dataSync() as Float32Array,
    entropy: kept[1]!.dataSync() as Float32Array,
    grads: new Map([...policy.variables].map(([name, v]) => [name, grads[v.name]!.dataSync() as Float32Array])),
  };
  [value, w, u, ...kept, ...Object.values(grads)].forEach((t) => t.dispose());
  return result;
};

const expectSamePass = (sequences: readonly LayoutInput[], flags?: Uint8Array): void => {
  const policy = Policy.create(config, 3);
  try {
    const width = config.maxResponseTokens;
    const before = tf.memory().numTensors;
    const plain = pass(policy, sequences, width, flags, false);
    const shared = pass(policy, sequences, width, flags, true);
    expect(tf.memory().numTensors).toBe(before);
    for (let i = 0; i < plain.logp.length; i++) {
      expect(shared.logp[i]).toBeCloseTo(plain.logp[i]!, 5);
      expect(shared.entropy[i]).toBeCloseTo(plain.entropy[i]!, 5);
    }
    for (const [name, g] of plain.grads) expect(relativeError(shared.grads.get(name)!, g), name).toBeLessThan(1e-5);
  } finally {
    policy.dispose();
  }
};

describe('prefix groups', () => {
  it('groups rows by image content, prompt and blackened patches, first appearance first', () => {
    const rows = sequencesOf(1, [2, 3], [0, 2, 1, 3, 4]);
    const groups = prefixGroups(rows, imageTokens);
    expect(Array.from(groups.groupOf)).toEqual([0, 1, 0, 1, 1]);
    expect(groups.representatives).toEqual([0, 1]);
    expect(sharesPrefixes(groups)).toBe(true);
    const flags = new Uint8Array(rows.length * imageTokens);
    flags[4 * imageTokens] = 1;
    expect(Array.from(prefixGroups(rows, imageTokens, flags).groupOf)).toEqual([0, 1, 0, 1, 2]);
    expect(sharesPrefixes(prefixGroups(sequencesOf(2, [1, 1, 1]), imageTokens))).toBe(false);
  });

  it('puts every row in exactly one group whose representative has its prompt and image', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 1000 }), (sizes, seed) => {
        const rows = sequencesOf(seed, sizes);
        const groups = prefixGroups(rows, imageTokens);
        expect(groups.representatives.length).toBe(sizes.length);
        rows.forEach((row, b) => {
          const rep = rows[groups.representatives[groups.groupOf[b]!]!]!;
          expect(rep.promptTokens).toEqual(row.promptTokens);
          expect(rep.image).toEqual(row.image);
        });
      }),
      { numRuns: 30 },
    );
  });
});

describe('packed teacher forcing', () => {
  it('equals the plain path for uniform contiguous groups (log-probs, entropies, gradients ≤ 1e-5 relative)', () => {
    expectSamePass(sequencesOf(5, [3, 3]));
  });

  it('equals the plain path for a single group', () => {
    expectSamePass(sequencesOf(9, [4]));
  });

  it('equals the plain path for groups of mixed sizes in any row order', () => {
    expectSamePass(sequencesOf(6, [1, 3, 2], [3, 0, 5, 1, 4, 2]));
  });

  it('equals the plain path under a masked view (rows blackened differently do not share)', () => {
    const rows = sequencesOf(7, [3, 2]);
    expectSamePass(rows, patchFlags(config, rows.length, { probability: 0.3, seed: 4 }));
  });

  it('reports the token rows it computed: each prefix once, every response', () => {
    const policy = Policy.create(config, 3);
    try {
      const rows = sequencesOf(8, [4, 4]);
      const width = config.maxResponseTokens;
      const promptWidth = Math.max(...rows.map((r) => r.promptTokens.length));
      const tokens = tf.tidy(() => teacherForcedShared(policy.variables, config, rows, rows.map((_, i) => i), width, undefined).tokens);
      expect(tokens).toBe(2 * (imageTokens + promptWidth) + rows.length * width);
    } finally {
      policy.dispose();
    }
  });
});

describe('shared prefill', () => {
  it.each([
    ['consecutive groups of 3 (one prefix per group)', [3, 3], undefined],
    ['groups of mixed sizes in any order (every row its own prefix)', [3, 1, 2], [0, 3, 1, 4, 2, 5]],
  ])('decodes the same tokens, log-probs and logits as prefilling every row: %s', (_, sizes, order) => {
    const policy = Policy.create(config, 4);
    try {
      const rows = sequencesOf(10, sizes, order).map(({ image, promptTokens }) => ({ image, promptTokens }));
      const sampling = { temperature: 1, topP: 1, topK: 0, maxNewTokens: config.maxResponseTokens, stopAtEos: false };
      const logits = (shared: boolean): Float32Array[] => {
        const steps: Float32Array[] = [];
        const before = tf.memory().numTensors;
        const out = generateWith(policy.variables, config, rows, sampling, 11, { sharedPrefixes: shared, onStepLogits: (_, l) => steps.push(Float32Array.from(l)) });
        expect(tf.memory().numTensors).toBe(before);
        steps.push(Float32Array.from(out.logprobs.data), Float32Array.from(out.tokens.flat()));
        return steps;
      };
      const plain = logits(false);
      const shared = logits(true);
      expect(shared.length).toBe(plain.length);
      expect(shared[shared.length - 1]).toEqual(plain[plain.length - 1]);
      plain.forEach((p, i) => p.forEach((x, j) => expect(shared[i]![j]).toBeCloseTo(x, 4)));
    } finally {
      policy.dispose();
    }
  });
});
