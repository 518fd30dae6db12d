/**
 * Checkpoints (tiny configuration, cpu backend): a policy save → load reproduces its log-probs
 * exactly, and weights that do not match the hash in policy.json are refused; the TensorFlow.js
 * engine's training checkpoint (`save` / `load`, trainer-checkpoint.ts) restores weights, AdamW
 * moments, step count and the reference copy, so the restored engine's next step equals the
 * original's bit for bit; every damaged or mismatched file is refused with a message naming it;
 * saving again replaces a checkpoint whole, leaving no temporary directory; and no tensor is
 * left behind.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matrix, Rng, unwrap, type StageError } from '@rlflow/core';
import { FULL_VIEW, type AdamWParams, type EngineOptions, type SequenceInput } from '@rlflow/engine';
import { initBackend } from './backend.js';
import { POLICY_FILE, POLICY_FORMAT, readPolicyCheckpoint, verifyPolicyCheckpoint, WEIGHTS_FILE, writePolicyCheckpoint } from './checkpoint.js';
import { tinyPolicyConfig, type PolicyConfig } from './config.js';
import { ACTIVE_DEVICE, TfjsEngine } from './engine/tfjs-engine.js';
import { createPolicy } from './policy.js';
import { EOS_ID } from './tokenizer.js';
import { readStateCheckpoint, readTrainerManifest, TRAINER_POLICY_DIR } from './trainer-checkpoint.js';

const config: PolicyConfig = { ...tinyPolicyConfig, maxPromptTokens: 8, maxResponseTokens: 6 };
const rng = Rng.fromSeed(5);
const sequences: SequenceInput[] = Array.from({ length: 3 }, (_, i) => ({
  image: Float32Array.from({ length: 32 * 32 * 3 }, () => rng.next()),
  promptTokens: [10 + i, 11, 12, 13],
  responseTokens: [14, 15 + i, EOS_ID],
}));
const WIDTH = 3;
const adamW: AdamWParams = { learningRate: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1 };
/** w = ∂L/∂logp of the token-mean negative log-likelihood over the 9 response tokens. */
const supervised = matrix(sequences.length, WIDTH, new Float64Array(sequences.length * WIDTH).fill(-1 / 9));
/** What the engine stores as the manifest's `extra`. */
const EngineExtra = t.type({ engine: t.string });

const engineOf = async (seed: number, reference: boolean, model: PolicyConfig = config): Promise<TfjsEngine> =>
  unwrap(await TfjsEngine.create({ init: { kind: 'seed', seed }, model, reference, tokenBudget: 0, device: ACTIVE_DEVICE } satisfies EngineOptions));

/** One supervised step; forwardBackward's surrogate (the loss) and the optimizer step's result. */
const trainStep = async (engine: TfjsEngine) => {
  const pass = unwrap(await engine.forwardBackward({ sequences, responseWidth: WIDTH, terms: [{ view: FULL_VIEW, logpWeights: supervised }] }));
  return { surrogate: pass.surrogate, step: unwrap(await engine.optimStep(adamW)) };
};

const weightsOf = async (engine: TfjsEngine): Promise<Map<string, number[]>> =>
  new Map(await Promise.all([...engine.policyVariables()].map(async ([name, v]) => [name, Array.from(await v.data())] as const)));

const refusal = <A>(result: E.Either<StageError, A>): string => {
  if (E.isRight(result)) throw new Error('expected a refusal');
  return result.left.message;
};

let root: string;
beforeAll(async () => {
  await initBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'rlflow-engine-checkpoint-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const rightOf = <A>(result: E.Either<Error, A>): A => {
  if (E.isLeft(result)) throw result.left;
  return result.right;
};

const leftMessage = <A>(result: E.Either<Error, A>): string => {
  if (E.isRight(result)) throw new Error('expected a refusal');
  return result.left.message;
};

describe('policy checkpoint', () => {
  it('reproduces log-probs exactly after a save → load round trip', async () => {
    const policy = createPolicy(config, 3);
    const dir = join(root, 'policy-round-trip');
    await writePolicyCheckpoint(dir, policy);
    const loaded = rightOf(await readPolicyCheckpoint(dir));
    expect(loaded.config).toEqual(config);
    expect(Array.from(unwrap(loaded.logProbs(sequences)).logp.data)).toEqual(Array.from(unwrap(policy.logProbs(sequences)).logp.data));
    policy.dispose();
    loaded.dispose();
  });

  it('carries the sha256 of its weights and refuses weights that do not match, naming the file', async () => {
    const policy = createPolicy(config, 9);
    const dir = join(root, 'policy-tampered');
    await writePolicyCheckpoint(dir, policy);
    policy.dispose();
    const manifest = JSON.parse(await readFile(join(dir, POLICY_FILE), 'utf8')) as { format: string; weightsSha256: string };
    expect(manifest.format).toBe(POLICY_FORMAT);
    expect(manifest.weightsSha256).toBe(createHash('sha256').update(await readFile(join(dir, WEIGHTS_FILE))).digest('hex'));
    expect(E.isRight(await verifyPolicyCheckpoint(dir))).toBe(true);
    const weights = await readFile(join(dir, WEIGHTS_FILE));
    weights[weights.length >> 1] = weights[weights.length >> 1]! ^ 0x01;
    await writeFile(join(dir, WEIGHTS_FILE), weights);
    const tensors = tf.memory().numTensors;
    expect(leftMessage(await readPolicyCheckpoint(dir))).toMatch(new RegExp(`${WEIGHTS_FILE}: sha256 [0-9a-f]{64}, ${POLICY_FILE} says ${manifest.weightsSha256}`));
    expect(leftMessage(await verifyPolicyCheckpoint(dir))).toContain(WEIGHTS_FILE);
    expect(tf.memory().numTensors).toBe(tensors);
    await writeFile(join(dir, POLICY_FILE), JSON.stringify({ ...manifest, format: 'rlflow-policy/1', weightsSha256: undefined }));
    expect(leftMessage(await readPolicyCheckpoint(dir))).toMatch(/format/);
  });
});

describe('engine training checkpoint', () => {
  it('restores weights, optimizer state and reference so that the next step is identical', async () => {
    const tensors = tf.memory().numTensors;
    const engine = await engineOf(4, true);
    for (let i = 0; i < 3; i++) await trainStep(engine);
    const dir = join(root, 'engine');
    expect(unwrap(await engine.save(dir)).steps).toBe(3);
    expect((await readdir(root)).filter((name) => name.startsWith('.'))).toEqual([]);
    const manifest = rightOf(await readTrainerManifest(dir, EngineExtra));
    expect([manifest.extra, manifest.optimizerSteps, manifest.hasReference]).toEqual([{ engine: 'tfjs' }, 3, true]);

    const restored = await engineOf(11, true);
    expect(unwrap(await restored.load(dir)).steps).toBe(3);
    expect(restored.steps()).toBe(3);
    // What the restored engine saves is what it loaded: weights, both moments and the reference, bit for bit.
    const copyDir = join(root, 'engine-copy');
    unwrap(await restored.save(copyDir));
    const original = rightOf(await readStateCheckpoint(dir, { extraCodec: EngineExtra, expectedConfig: config }));
    const copy = rightOf(await readStateCheckpoint(copyDir, { extraCodec: EngineExtra, expectedConfig: config }));
    expect(copy.state.step).toBe(3);
    for (const [name, values] of original.weights) expect(Array.from(copy.weights.get(name)!), `weights ${name}`).toEqual(Array.from(values));
    for (const key of ['m', 'v', 'reference'] as const) {
      for (const [name, values] of original.state[key]!) expect(Array.from(copy.state[key]!.get(name)!), `${key} ${name}`).toEqual(Array.from(values));
    }
    const next = await trainStep(engine);
    const nextRestored = await trainStep(restored);
    expect(nextRestored).toEqual(next);
    const after = await weightsOf(engine);
    for (const [name, values] of await weightsOf(restored)) expect(values, name).toEqual(after.get(name));

    // Saving again replaces the checkpoint whole.
    unwrap(await engine.save(dir));
    expect(rightOf(await readTrainerManifest(dir, EngineExtra)).optimizerSteps).toBe(4);
    const again = await engineOf(12, true);
    expect(unwrap(await again.load(dir)).steps).toBe(4);
    expect(await weightsOf(again)).toEqual(after);
    expect((await readdir(root)).filter((name) => name.startsWith('.'))).toEqual([]);

    for (const item of [engine, restored, again]) await item.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('refuses a damaged file, a missing manifest, a bad extra and another model config, naming what is wrong', async () => {
    const tensors = tf.memory().numTensors;
    const engine = await engineOf(6, false);
    await trainStep(engine);
    const loader = await engineOf(7, false);
    const fresh = async (name: string): Promise<string> => {
      const dir = join(root, name);
      unwrap(await engine.save(dir));
      return dir;
    };
    const read = async (dir: string) => refusal(await loader.load(dir));

    const flipped = await fresh('flipped');
    const optimizer = await readFile(join(flipped, 'optimizer.bin'));
    optimizer[17] = optimizer[17]! ^ 0xff;
    await writeFile(join(flipped, 'optimizer.bin'), optimizer);
    expect(await read(flipped)).toMatch(/optimizer\.bin: sha256 [0-9a-f]{64}, the manifest says [0-9a-f]{64}/);

    const weights = await fresh('weights');
    await writeFile(join(weights, TRAINER_POLICY_DIR, 'weights.bin'), new Uint8Array(8));
    expect(await read(weights)).toMatch(/policy\/weights\.bin: sha256/);

    const noManifest = await fresh('no-manifest');
    await rm(join(noManifest, 'manifest.json'));
    expect(await read(noManifest)).toMatch(/manifest\.json: cannot be read/);

    const badExtra = await fresh('bad-extra');
    const manifest = JSON.parse(await readFile(join(badExtra, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(join(badExtra, 'manifest.json'), JSON.stringify({ ...manifest, extra: { engine: 7 } }));
    expect(await read(badExtra)).toMatch(/extra\.engine: expected "tfjs" \| "onnx", found 7/);

    const other = await fresh('other-config');
    const wider = await engineOf(8, false, { ...config, dModel: 32 });
    expect(refusal(await wider.load(other))).toMatch(/config dModel: 16 vs 32/);

    // Nothing refused was applied: the loader still scores like a fresh engine of its seed.
    const twin = await engineOf(7, false);
    const scored = unwrap(await loader.forward({ sequences, responseWidth: WIDTH }));
    expect(Array.from(scored.logp.data)).toEqual(Array.from(unwrap(await twin.forward({ sequences, responseWidth: WIDTH })).logp.data));
    expect(loader.steps()).toBe(0);

    for (const item of [engine, loader, wider, twin]) await item.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  });
});
