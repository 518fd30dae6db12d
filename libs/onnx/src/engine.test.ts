/**
 * The onnx engine on the tiny configuration: the engine contract suite against the tfjs engine
 * (cpu backend) as reference, then forward log-probs and entropies, and forwardBackward's
 * accumulated gradients, against the tfjs engine's at the same weights (plain and packed rows,
 * micro-batched or not), checkpoints read and written across the two engines, and determinism.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { matrix, Rng, unwrap, type Matrix } from '@rlflow/core';
import type { Engine, EngineOptions, SequenceInput, WeightedTerm } from '@rlflow/engine';
import { describeEngineContract } from '@rlflow/engine/testing';
import { createTfjsEngine, geometry, initBackend, TfjsEngine, tinyPolicyConfig } from '@rlflow/policy';
import { CONTRACT_WIDTH, contractFixtures, contractSequences } from '@rlflow/policy/engine/contract-fixtures';
import { onnxEngineFactory } from './engine.js';

const createOnnx = onnxEngineFactory({ threads: 2 });
const createPackingOnnx = onnxEngineFactory({ threads: 2, packResponses: true });
const sequences = contractSequences;
const WIDTH = CONTRACT_WIDTH;

beforeAll(async () => {
  await initBackend('cpu');
});

describeEngineContract('onnx (tiny, tfjs cpu reference)', createOnnx, { ...contractFixtures('cpu'), referenceFactory: createTfjsEngine });

const options = (tokenBudget: number): EngineOptions => ({ init: { kind: 'seed', seed: 5 }, model: tinyPolicyConfig, reference: true, tokenBudget, device: 'cpu' });

const weights = (seed: number, scale: number): Matrix => {
  const rng = Rng.fromSeed(seed);
  return matrix(sequences.length, WIDTH, Float64Array.from({ length: sequences.length * WIDTH }, () => scale * (2 * rng.next() - 1)));
};

const maxDifference = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
};

/** forwardBackward of `terms` over `sequences` on a fresh engine, its result and accumulated gradients; the engine is disposed. */
const backwardOnce = async (engine: Awaited<ReturnType<typeof createTfjsEngine>>, sequences: readonly SequenceInput[], terms: readonly WeightedTerm[]) => {
  const e = unwrap(engine) as TfjsEngine;
  const out = unwrap(await e.forwardBackward({ sequences, responseWidth: WIDTH, terms }));
  const grads = await e.accumulatedGradients();
  await e.dispose();
  return { out, grads };
};

/** Every parameter's gradient within 1e-4 of its largest |tfjs gradient|. */
const expectGradientsClose = (got: ReadonlyMap<string, Float32Array>, expected: ReadonlyMap<string, Float32Array>): void => {
  for (const [name, g] of expected) {
    const scale = Math.max(1e-3, ...Array.from(g, Math.abs));
    expect(maxDifference(got.get(name)!, g) / scale, name).toBeLessThanOrEqual(1e-4);
  }
};

describe('onnx engine against the tfjs engine', () => {
  it('scores like tfjs: log-probs and entropies, full and masked view, policy and reference (≤ 1e-5)', async () => {
    const onnx = unwrap(await createOnnx(options(0)));
    const tfjs = unwrap(await createTfjsEngine(options(0)));
    for (const view of [{ kind: 'full' } as const, { kind: 'masked', probability: 0.5, seed: 3 } as const]) {
      for (const model of ['policy', 'reference'] as const) {
        const a = unwrap(await onnx.forward({ sequences, responseWidth: WIDTH, entropy: true, view, model }));
        const b = unwrap(await tfjs.forward({ sequences, responseWidth: WIDTH, entropy: true, view, model }));
        expect(maxDifference(a.logp.data, b.logp.data)).toBeLessThanOrEqual(1e-5);
        expect(maxDifference(a.entropy!.data, b.entropy!.data)).toBeLessThanOrEqual(1e-5);
      }
    }
    await Promise.all([onnx.dispose(), tfjs.dispose()]);
  });

  it('accumulates the gradients tfjs does, with a masked-view term and entropy weights, micro-batched or not', async () => {
    const terms: WeightedTerm[] = [
      { view: { kind: 'full' }, logpWeights: weights(1, 1), entropyWeights: weights(2, 0.5) },
      { view: { kind: 'masked', probability: 0.4, seed: 9 }, logpWeights: weights(3, 1) },
    ];
    const expected = await backwardOnce(await createTfjsEngine(options(0)), sequences, terms);
    for (const budget of [0, 70]) expectGradientsClose((await backwardOnce(await createOnnx(options(budget)), sequences, terms)).grads, expected.grads);
  });

  it('packs rows that share image and prompt (each prefix once; with packResponses, responses end to end) and still agrees with tfjs, log-probs and gradients', async () => {
    const responses = [[20, 21, 22], [23, 24], [25, 26, 27, 28, 29], [30], [31, 32, 33, 34, 35, 36, 37, 38]];
    const grouped = responses.map((responseTokens, i) => ({ ...contractSequences[i % 2]!, responseTokens }));
    const rng = Rng.fromSeed(12);
    const w = matrix(grouped.length, WIDTH, Float64Array.from({ length: grouped.length * WIDTH }, () => 2 * rng.next() - 1));
    const terms: WeightedTerm[] = [
      { view: { kind: 'full' }, logpWeights: w, entropyWeights: w },
      { view: { kind: 'masked', probability: 0.5, seed: 4 }, logpWeights: w },
    ];
    const expected = await backwardOnce(await createTfjsEngine(options(0)), grouped, terms);
    const plainColumns = geometry(tinyPolicyConfig).imageTokens + Math.max(...grouped.map((x) => x.promptTokens.length)) + WIDTH;
    // With packResponses the full view's groups pack 8 | 5+3 and 2+1 into three suffix rows where tfjs pads five; the masked view's rows share no prefix.
    for (const [factory, saved] of [
      [createOnnx, 0],
      [createPackingOnnx, 2 * WIDTH],
    ] as const) {
      const got = await backwardOnce(await factory(options(0)), grouped, terms);
      expect(got.out.tokens).toBe(expected.out.tokens - saved);
      expect(got.out.tokens).toBeLessThan(terms.length * grouped.length * plainColumns);
      got.out.terms.forEach((term, i) => expect(maxDifference(term.logp.data, expected.out.terms[i]!.logp.data)).toBeLessThanOrEqual(1e-5));
      expect(maxDifference(got.out.terms[0]!.entropy!.data, expected.out.terms[0]!.entropy!.data)).toBeLessThanOrEqual(1e-5);
      expectGradientsClose(got.grads, expected.grads);
    }
  });

  it('agrees with tfjs on random groups of random response lengths, with packResponses (log-probs, entropies, gradients)', async () => {
    const batchArbitrary = fc.array(fc.record({ prompt: fc.integer({ min: 0, max: 3 }), length: fc.integer({ min: 0, max: WIDTH }), seed: fc.nat() }), { minLength: 2, maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(batchArbitrary, async (rows) => {
        const batch = rows.map(({ prompt, length, seed }) => ({ ...contractSequences[prompt]!, responseTokens: Array.from({ length }, (_, t) => 7 + ((seed + 13 * t) % 40)) }));
        const rng = Rng.fromSeed(rows.length);
        const w = matrix(batch.length, WIDTH, Float64Array.from({ length: batch.length * WIDTH }, () => 2 * rng.next() - 1));
        const terms: WeightedTerm[] = [{ view: { kind: 'full' }, logpWeights: w, entropyWeights: w }];
        const expected = await backwardOnce(await createTfjsEngine(options(0)), batch, terms);
        const got = await backwardOnce(await createPackingOnnx(options(0)), batch, terms);
        expect(got.out.tokens).toBeLessThanOrEqual(expected.out.tokens);
        expect(maxDifference(got.out.terms[0]!.logp.data, expected.out.terms[0]!.logp.data)).toBeLessThanOrEqual(1e-5);
        expect(maxDifference(got.out.terms[0]!.entropy!.data, expected.out.terms[0]!.entropy!.data)).toBeLessThanOrEqual(1e-5);
        expectGradientsClose(got.grads, expected.grads);
      }),
      { numRuns: 6, seed: 10 },
    );
  });

  it('loads checkpoints of the tfjs engine and writes ones the tfjs engine loads', async () => {
    const root = await mkdtemp(join(tmpdir(), 'rlflow-onnx-interop-'));
    const step = async (engine: Engine): Promise<void> => {
      unwrap(await engine.forwardBackward({ sequences, responseWidth: WIDTH, terms: [{ view: { kind: 'full' }, logpWeights: weights(7, 1) }] }));
      unwrap(await engine.optimStep(contractFixtures('cpu').optimizer));
    };
    try {
      for (const [from, to] of [
        [createTfjsEngine, createOnnx],
        [createOnnx, createTfjsEngine],
      ] as const) {
        const writer = unwrap(await from(options(0)));
        await step(writer);
        const dir = join(root, writer.info.engine);
        unwrap(await writer.save(dir));
        const reader = unwrap(await to({ ...options(0), init: { kind: 'seed', seed: 9 } }));
        expect(unwrap(await reader.load(dir)).steps).toBe(1);
        const a = unwrap(await writer.forward({ sequences, responseWidth: WIDTH }));
        const b = unwrap(await reader.forward({ sequences, responseWidth: WIDTH }));
        expect(maxDifference(a.logp.data, b.logp.data)).toBeLessThanOrEqual(1e-5);
        await Promise.all([writer.dispose(), reader.dispose()]);
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('gives the same results bit for bit on repeated runs with a fixed thread count, with or without the memory arena', async () => {
    const run = async (factory = createOnnx) => {
      const engine = unwrap(await factory(options(0)));
      const out = unwrap(await engine.forwardBackward({ sequences, responseWidth: WIDTH, terms: [{ view: { kind: 'full' }, logpWeights: weights(4, 1) }] }));
      const step = unwrap(await engine.optimStep(contractFixtures('cpu').optimizer));
      const after = unwrap(await engine.forward({ sequences, responseWidth: WIDTH }));
      await engine.dispose();
      return { surrogate: out.surrogate, step, logp: Array.from(after.logp.data) };
    };
    const first = await run();
    expect(await run()).toEqual(first);
    expect(await run(onnxEngineFactory({ threads: 2, memoryArena: false }))).toEqual(first);
  });
});
