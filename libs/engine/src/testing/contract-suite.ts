/**
 * The engine contract's test suite, generic over engines (contract.ts). `describeEngineContract`
 * registers vitest tests that any engine must pass, given its factory and small fixtures:
 *
 *   (a) the log-probs `sample` returns equal teacher-forced `forward` log-probs of the same tokens
 *   (b) the same seed gives the same samples, another seed different ones; rows are prompt-major
 *   (c) forwardBackward + optimStep agree with a reference engine (one pass, no micro-batching),
 *       the surrogate is Σ w·logp + Σ u·H of the log-probs returned, and splitting a request in
 *       two before one optimStep gives the same step (the sum is additive over rows)
 *   (e) liveResources stays flat over repeated forwardBackward + optimStep steps
 *   (f) save → a fresh engine → load: the next forwardBackward, optimStep and forward results are
 *       bit-identical to the original engine's; a tampered file is refused by name; savePolicy
 *       starts an engine (`init: weights`) that scores exactly like the policy it saved
 *   (g) bad shapes and non-finite weights are StageErrors naming the field and index; a
 *       non-finite gradient is refused by optimStep with nothing applied and the gradient cleared
 *   (h) an engine without a capability refuses the requests that need it
 *
 * What the suite assumes beyond the contract's types: a SaveReceipt's `files` are paths relative
 * to the directory written, and an engine created with `reference: true` refuses to load a state
 * saved without one (and the other way round).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matrix, Rng, type Matrix, type StageError } from '@rlflow/core';
import type {
  AdamWParams,
  Engine,
  EngineFactory,
  EngineOptions,
  ForwardBackwardRequest,
  ForwardResult,
  PromptInput,
  SamplingParams,
  SequenceInput,
  WeightedTerm,
} from '../contract.js';

export interface EngineContractFixtures {
  /** The engine's `model` option: a configuration small enough for fast tests. */
  readonly model: unknown;
  readonly device?: string;
  /** At least two prompts. */
  readonly prompts: readonly PromptInput[];
  /** One response per prompt for teacher-forced requests, at least one token each, not all of one length. */
  readonly responses: readonly (readonly number[])[];
  /** ≥ the longest response and ≥ `sampling.maxNewTokens`, within the engine's response budget. */
  readonly responseWidth: number;
  /** A token budget that splits a request over the fixtures' sequences into several micro-batches. */
  readonly smallTokenBudget: number;
  readonly sampling: SamplingParams;
  readonly optimizer: AdamWParams;
  /** The engine (c) compares against; default: this factory with `tokenBudget: 0`. */
  readonly referenceFactory?: EngineFactory;
  /** forwardBackward + optimStep steps of the resource test (default 50). */
  readonly resourceSteps?: number;
}

const ok = <A>(result: E.Either<StageError, A>, what: string): A => {
  if (E.isLeft(result)) throw new Error(`${what}: ${result.left.message}`);
  return result.right;
};

const refused = <A>(result: E.Either<StageError, A>, what: string): StageError => {
  if (E.isRight(result)) throw new Error(`${what}: expected a StageError, got a result`);
  return result.left;
};

const maxAbsDifference = (a: Matrix, b: Matrix, mask: Matrix): number => {
  let worst = 0;
  for (let i = 0; i < mask.data.length; i++) if (mask.data[i] === 1) worst = Math.max(worst, Math.abs(a.data[i]! - b.data[i]!));
  return worst;
};

const relativeDifference = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

/** Deterministic per-token weights in [−scale, scale]. */
const weightsFrom = (seed: number, rows: number, cols: number, scale: number): Matrix => {
  const rng = Rng.fromSeed(seed);
  return matrix(rows, cols, Float64Array.from({ length: rows * cols }, () => scale * (2 * rng.next() - 1)));
};

const rowsOfMatrix = (m: Matrix, from: number, to: number): Matrix => matrix(to - from, m.cols, m.data.slice(from * m.cols, to * m.cols));

/** Registers the contract tests for the engine `name` built by `factory`. */
export const describeEngineContract = (name: string, factory: EngineFactory, fixtures: EngineContractFixtures): void => {
  const { prompts, responses, responseWidth: width } = fixtures;
  const sequences: SequenceInput[] = prompts.map((p, i) => ({ ...p, responseTokens: responses[i]! }));
  const batch = sequences.length;
  const options = (overrides: Partial<EngineOptions> = {}): EngineOptions => ({
    init: { kind: 'seed', seed: 1 },
    model: fixtures.model,
    reference: true,
    tokenBudget: fixtures.smallTokenBudget,
    ...(fixtures.device === undefined ? {} : { device: fixtures.device }),
    ...overrides,
  });
  const live: Engine[] = [];
  const make = async (overrides: Partial<EngineOptions> = {}, from: EngineFactory = factory): Promise<Engine> => {
    const engine = ok(await from(options(overrides)), `${name}: create`);
    live.push(engine);
    return engine;
  };
  const terms = (engine: Engine, seed: number): WeightedTerm[] => {
    const full: WeightedTerm = { view: { kind: 'full' }, logpWeights: weightsFrom(seed, batch, width, 1) };
    if (!engine.capabilities.maskedImages) return [full];
    const masked: WeightedTerm = {
      view: { kind: 'masked', probability: 0.5, seed: seed + 1 },
      logpWeights: weightsFrom(seed + 2, batch, width, 0.5),
      ...(engine.capabilities.entropyWeights ? { entropyWeights: weightsFrom(seed + 3, batch, width, 0.2) } : {}),
    };
    return [full, masked];
  };
  const request = (engine: Engine, seed: number): ForwardBackwardRequest => ({ sequences, responseWidth: width, terms: terms(engine, seed) });
  const forward = async (engine: Engine, model: 'policy' | 'reference' = 'policy'): Promise<ForwardResult> =>
    ok(await engine.forward({ sequences, responseWidth: width, entropy: engine.capabilities.entropy, model }), `${name}: forward`);
  const train = async (engine: Engine, seed: number): Promise<void> => {
    ok(await engine.forwardBackward(request(engine, seed)), `${name}: forwardBackward`);
    ok(await engine.optimStep(fixtures.optimizer), `${name}: optimStep`);
  };

  let root: string;

  describe(`engine contract: ${name}`, () => {
    beforeAll(async () => {
      root = await mkdtemp(join(tmpdir(), 'rlflow-engine-contract-'));
    });
    afterAll(async () => {
      for (const engine of live.splice(0)) await engine.dispose();
      await rm(root, { recursive: true, force: true });
    });

    it('describes itself: info, capabilities and the token budget it was given', async () => {
      const engine = await make();
      expect(engine.info.engine.length).toBeGreaterThan(0);
      expect(engine.info.parameterCount).toBeGreaterThan(0);
      expect(engine.capabilities.reference).toBe(true);
      expect(engine.capabilities.tokenBudget === null || engine.capabilities.tokenBudget === fixtures.smallTokenBudget).toBe(true);
      const forwarded = await forward(engine);
      for (let i = 0; i < forwarded.mask.data.length; i++) {
        if (forwarded.mask.data[i] === 1) expect(forwarded.logp.data[i]!).toBeLessThanOrEqual(0);
        else expect(forwarded.logp.data[i] === 0, `logp[${i}] outside the mask`).toBe(true);
      }
      expect(Array.from(forwarded.mask.data)).toEqual(sequences.flatMap((s) => Array.from({ length: width }, (_, t) => (t < s.responseTokens.length ? 1 : 0))));
      const plain = ok(await engine.forward({ sequences, responseWidth: width }), 'forward');
      expect(plain.entropy).toBeNull();
      expect(Array.from(plain.logp.data)).toEqual(Array.from(forwarded.logp.data));
    });

    it('(a) returns sample log-probs equal to teacher-forced forward log-probs (≤ 1e-4)', async () => {
      const engine = await make();
      const G = 2;
      const samples = ok(await engine.sample({ prompts, samplesPerPrompt: G, sampling: fixtures.sampling, seed: 7 }), 'sample');
      const T = fixtures.sampling.maxNewTokens;
      expect([samples.tokens.length, samples.logprobs.rows, samples.logprobs.cols]).toEqual([batch * G, batch * G, T]);
      samples.tokens.forEach((row, r) => {
        expect(row.length).toBe(samples.lengths[r]);
        expect(samples.mask.data.subarray(r * T, (r + 1) * T).reduce((a, x) => a + x, 0)).toBe(row.length);
      });
      const sampled: SequenceInput[] = samples.tokens.map((tokens, r) => ({ ...prompts[Math.floor(r / G)]!, responseTokens: tokens }));
      const forced = ok(await engine.forward({ sequences: sampled, responseWidth: T }), 'forward');
      expect(Array.from(forced.mask.data)).toEqual(Array.from(samples.mask.data));
      expect(maxAbsDifference(samples.logprobs, forced.logp, samples.mask)).toBeLessThanOrEqual(1e-4);
    });

    it('(b) gives the same samples for the same seed and different ones for another seed', async () => {
      const engine = await make();
      const draw = async (seed: number) => ok(await engine.sample({ prompts, samplesPerPrompt: 3, sampling: fixtures.sampling, seed }), 'sample');
      const a = await draw(11);
      const b = await draw(11);
      const c = await draw(12);
      expect(b.tokens).toEqual(a.tokens);
      expect(Array.from(b.logprobs.data)).toEqual(Array.from(a.logprobs.data));
      expect(c.tokens).not.toEqual(a.tokens);
    });

    it('(c) agrees with a reference engine and is additive over rows and micro-batches', async () => {
      const engine = await make();
      const reference = await make({ tokenBudget: 0 }, fixtures.referenceFactory ?? factory);
      const split = await make();
      const req = request(engine, 21);
      const result = ok(await engine.forwardBackward(req), 'forwardBackward');
      const expected = ok(await reference.forwardBackward(req), 'reference forwardBackward');
      let surrogate = 0;
      req.terms.forEach((term, i) => {
        const out = result.terms[i]!;
        expect(maxAbsDifference(out.logp, expected.terms[i]!.logp, out.mask)).toBeLessThanOrEqual(1e-5);
        for (let j = 0; j < out.mask.data.length; j++) {
          if (out.mask.data[j] !== 1) continue;
          surrogate += term.logpWeights.data[j]! * out.logp.data[j]!;
          if (term.entropyWeights !== undefined) surrogate += term.entropyWeights.data[j]! * out.entropy!.data[j]!;
        }
        expect(out.entropy === null).toBe(term.entropyWeights === undefined);
      });
      expect(relativeDifference(result.surrogate, surrogate)).toBeLessThanOrEqual(1e-5);
      expect(relativeDifference(result.surrogate, expected.surrogate)).toBeLessThanOrEqual(1e-5);
      expect(result.tokens).toBeGreaterThan(0);

      const half = Math.floor(batch / 2);
      for (const [from, to] of [
        [0, half],
        [half, batch],
      ] as const) {
        const part: ForwardBackwardRequest = {
          sequences: sequences.slice(from, to),
          responseWidth: width,
          terms: req.terms.map((term) => ({
            view: term.view.kind === 'full' ? term.view : { ...term.view },
            logpWeights: rowsOfMatrix(term.logpWeights, from, to),
            ...(term.entropyWeights === undefined ? {} : { entropyWeights: rowsOfMatrix(term.entropyWeights, from, to) }),
          })),
        };
        // A masked view draws its patches per request row, so only full-view terms split exactly.
        ok(await split.forwardBackward({ ...part, terms: part.terms.filter((term) => term.view.kind === 'full') }), 'split forwardBackward');
      }
      const fullOnly = await make();
      ok(await fullOnly.forwardBackward({ ...req, terms: req.terms.filter((term) => term.view.kind === 'full') }), 'full-view forwardBackward');

      const step = ok(await engine.optimStep(fixtures.optimizer), 'optimStep');
      const referenceStep = ok(await reference.optimStep(fixtures.optimizer), 'reference optimStep');
      const splitStep = ok(await split.optimStep(fixtures.optimizer), 'split optimStep');
      const fullStep = ok(await fullOnly.optimStep(fixtures.optimizer), 'full-view optimStep');
      expect([step.steps, referenceStep.steps, engine.steps()]).toEqual([1, 1, 1]);
      expect(step.gradNorm).toBeGreaterThan(0);
      expect(relativeDifference(step.gradNorm, referenceStep.gradNorm)).toBeLessThanOrEqual(1e-4);
      expect(relativeDifference(step.clipScale, referenceStep.clipScale)).toBeLessThanOrEqual(1e-4);
      expect(relativeDifference(splitStep.gradNorm, fullStep.gradNorm)).toBeLessThanOrEqual(1e-4);
      const after = await forward(engine);
      const referenceAfter = await forward(reference);
      const before = await forward(await make());
      expect(maxAbsDifference(after.logp, referenceAfter.logp, after.mask)).toBeLessThanOrEqual(1e-3);
      expect(maxAbsDifference(after.logp, before.logp, after.mask)).toBeGreaterThan(0);
      if (engine.capabilities.reference) {
        expect(Array.from((await forward(engine, 'reference')).logp.data)).toEqual(Array.from(before.logp.data));
      }
    });

    it(`(e) keeps liveResources flat over ${fixtures.resourceSteps ?? 50} forwardBackward + optimStep steps`, async () => {
      const engine = await make();
      await train(engine, 30);
      const resources = engine.liveResources();
      // The steps use one full-view term (the common case); every kind of term is checked once after them.
      const fullView = (seed: number): ForwardBackwardRequest => ({ ...request(engine, seed), terms: request(engine, seed).terms.slice(0, 1) });
      for (let i = 0; i < (fixtures.resourceSteps ?? 50) - 1; i++) {
        ok(await engine.forwardBackward(fullView(31 + i)), 'forwardBackward');
        ok(await engine.optimStep(fixtures.optimizer), 'optimStep');
        expect(engine.liveResources()).toBe(resources);
      }
      await train(engine, 29);
      expect(engine.liveResources()).toBe(resources);
      await forward(engine);
      ok(await engine.sample({ prompts, samplesPerPrompt: 2, sampling: fixtures.sampling, seed: 3 }), 'sample');
      expect(engine.liveResources()).toBe(resources);
      expect(engine.steps()).toBe((fixtures.resourceSteps ?? 50) + 1);
    });

    it('(f) continues bit for bit after save → a fresh engine → load, and refuses a tampered checkpoint', async () => {
      const original = await make();
      for (let i = 0; i < 3; i++) await train(original, 40 + i);
      const dir = join(root, 'state');
      const saved = ok(await original.save(dir), 'save');
      expect(saved.steps).toBe(3);
      for (const digest of Object.values(saved.files)) expect(digest).toMatch(/^[0-9a-f]{64}$/);
      const restored = await make({ init: { kind: 'seed', seed: 2 } });
      const loaded = ok(await restored.load(dir), 'load');
      expect(loaded.files).toEqual(saved.files);
      expect(restored.steps()).toBe(3);

      const req = request(original, 50);
      const a = ok(await original.forwardBackward(req), 'forwardBackward');
      const b = ok(await restored.forwardBackward(req), 'restored forwardBackward');
      expect(b.surrogate).toBe(a.surrogate);
      a.terms.forEach((term, i) => expect(Array.from(b.terms[i]!.logp.data)).toEqual(Array.from(term.logp.data)));
      const stepA = ok(await original.optimStep(fixtures.optimizer), 'optimStep');
      const stepB = ok(await restored.optimStep(fixtures.optimizer), 'restored optimStep');
      expect(stepB).toEqual(stepA);
      const forwardA = await forward(original);
      const forwardB = await forward(restored);
      expect(Array.from(forwardB.logp.data)).toEqual(Array.from(forwardA.logp.data));
      expect(forwardB.entropy === null ? null : Array.from(forwardB.entropy.data)).toEqual(forwardA.entropy === null ? null : Array.from(forwardA.entropy.data));
      if (original.capabilities.reference) {
        expect(Array.from((await forward(restored, 'reference')).logp.data)).toEqual(Array.from((await forward(original, 'reference')).logp.data));
      }

      const policyDir = join(root, 'policy');
      const policyReceipt = ok(await original.savePolicy(policyDir), 'savePolicy');
      const fromWeights = await make({ init: { kind: 'weights', dir: policyDir }, reference: false });
      expect(Array.from((await forward(fromWeights)).logp.data)).toEqual(Array.from(forwardA.logp.data));

      const tamper = async (base: string, files: Readonly<Record<string, string>>): Promise<string> => {
        const sizes = await Promise.all(Object.keys(files).map(async (file) => [file, (await readFile(join(base, file))).length] as const));
        const [largest] = sizes.reduce((best, next) => (next[1] > best[1] ? next : best));
        const bytes = await readFile(join(base, largest));
        bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0x40;
        await writeFile(join(base, largest), bytes);
        return largest.split('/').pop()!;
      };
      const stateFile = await tamper(dir, saved.files);
      expect(refused(await restored.load(dir), 'load of a tampered checkpoint').message).toContain(stateFile);
      const policyFile = await tamper(policyDir, policyReceipt.files);
      expect(refused(await factory(options({ init: { kind: 'weights', dir: policyDir } })), 'init from tampered weights').message).toContain(policyFile);
    });

    it('(g) names the field of a bad request, and refuses a non-finite gradient with nothing applied', async () => {
      const engine = await make();
      const twin = await make();
      const good = request(engine, 60);
      const [first, ...rest] = good.terms;
      const withFirst = (term: Partial<WeightedTerm>): ForwardBackwardRequest => ({ ...good, terms: [{ ...first!, ...term }, ...rest] });

      const narrow = refused(await engine.forwardBackward(withFirst({ logpWeights: weightsFrom(1, batch, width - 1, 1) })), 'narrow weights');
      expect([narrow.field, narrow.kind]).toEqual(['terms[0].logpWeights', 'length-mismatch']);
      const short = refused(await engine.forwardBackward(withFirst({ logpWeights: weightsFrom(1, batch - 1, width, 1) })), 'short weights');
      expect(short.field).toBe('terms[0].logpWeights');
      const nan = weightsFrom(2, batch, width, 1);
      nan.data[1 * width] = Number.NaN;
      const notFinite = refused(await engine.forwardBackward(withFirst({ logpWeights: nan })), 'NaN weight');
      expect([notFinite.field, notFinite.index, notFinite.kind]).toEqual(['terms[0].logpWeights', [1, 0], 'not-finite']);
      if (engine.capabilities.entropyWeights) {
        const badU = refused(await engine.forwardBackward(withFirst({ entropyWeights: weightsFrom(3, batch, width + 1, 1) })), 'entropy weights');
        expect(badU.field).toBe('terms[0].entropyWeights');
      }
      const longest = Math.max(...responses.map((r) => r.length));
      const tooNarrow = refused(await engine.forward({ sequences, responseWidth: longest - 1 }), 'a width below the longest response');
      expect(tooNarrow.field).toMatch(/^responseWidth$|^sequences\[\d+\]\.responseTokens$/);
      const badLr = refused(await engine.optimStep({ ...fixtures.optimizer, learningRate: Number.NaN }), 'NaN learning rate');
      expect(badLr.field).toBe('learningRate');

      const before = await forward(engine);
      const huge = matrix(batch, width, new Float64Array(batch * width).fill(1e30));
      ok(await engine.forwardBackward({ sequences, responseWidth: width, terms: [{ view: { kind: 'full' }, logpWeights: huge }] }), 'huge weights');
      const overflow = refused(await engine.optimStep(fixtures.optimizer), 'non-finite gradient');
      expect(overflow.kind).toBe('not-finite');
      expect(engine.steps()).toBe(0);
      expect(Array.from((await forward(engine)).logp.data)).toEqual(Array.from(before.logp.data));

      ok(await engine.forwardBackward(good), 'forwardBackward after refusals');
      ok(await twin.forwardBackward(good), 'twin forwardBackward');
      expect(ok(await engine.optimStep(fixtures.optimizer), 'optimStep').steps).toBe(1);
      expect(ok(await twin.optimStep(fixtures.optimizer), 'twin optimStep').steps).toBe(1);
      expect(Array.from((await forward(engine)).logp.data)).toEqual(Array.from((await forward(twin)).logp.data));
    });

    it('(h) refuses the requests an absent capability would need', async () => {
      const engine = await make({ reference: false });
      expect(engine.capabilities.reference).toBe(false);
      expect(refused(await engine.forward({ sequences, responseWidth: width, model: 'reference' }), 'reference forward').field).toBe('model');
      const absent = engine.capabilities;
      if (!absent.entropy) expect(E.isLeft(await engine.forward({ sequences, responseWidth: width, entropy: true }))).toBe(true);
      if (!absent.maskedImages) {
        expect(E.isLeft(await engine.forward({ sequences, responseWidth: width, view: { kind: 'masked', probability: 0.5, seed: 1 } }))).toBe(true);
      }
      if (!absent.entropyWeights) {
        const u = weightsFrom(5, batch, width, 1);
        expect(E.isLeft(await engine.forwardBackward({ sequences, responseWidth: width, terms: [{ view: { kind: 'full' }, logpWeights: u, entropyWeights: u }] }))).toBe(true);
      }
      const stateDir = join(root, 'no-reference');
      ok(await engine.forwardBackward(request(engine, 70)), 'forwardBackward');
      ok(await engine.optimStep(fixtures.optimizer), 'optimStep');
      ok(await engine.save(stateDir), 'save');
      const withReference = await make();
      expect(E.isLeft(await withReference.load(stateDir))).toBe(true);
    });
  });
};
