/**
 * Checkpoints of the engine (tiny configuration, cpu backend): a policy save → load reproduces
 * its log-probs exactly, and weights that do not match the hash in policy.json are refused; a
 * trainer checkpoint restores weights, AdamW moments, step count and the reference copy, so the restored trainer's next step equals the original's bit for bit;
 * every damaged or mismatched file is refused with a message naming it; rewriting a checkpoint
 * replaces it whole; and no tensor is left behind.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng, unwrap } from '@rlflow/core';
import { initBackend } from './backend.js';
import { POLICY_FILE, POLICY_FORMAT, readPolicyCheckpoint, verifyPolicyCheckpoint, WEIGHTS_FILE, writePolicyCheckpoint } from './checkpoint.js';
import { tinyPolicyConfig, type PolicyConfig } from './config.js';
import type { SequenceInput } from './layout.js';
import { supervisedLoss } from './losses.js';
import { defaultOptimizerConfig } from './optimizer.js';
import { createPolicy } from './policy.js';
import { EOS_ID } from './tokenizer.js';
import { readTrainerCheckpoint, TRAINER_POLICY_DIR, writeTrainerCheckpoint } from './trainer-checkpoint.js';
import { createTrainer, type TrainerOptions } from './trainer.js';

const config: PolicyConfig = { ...tinyPolicyConfig, maxPromptTokens: 8, maxResponseTokens: 6 };
const rng = Rng.fromSeed(5);
const sequences: SequenceInput[] = Array.from({ length: 3 }, (_, i) => ({
  image: Float32Array.from({ length: 32 * 32 * 3 }, () => rng.next()),
  promptTokens: [10 + i, 11, 12, 13],
  responseTokens: [14, 15 + i, EOS_ID],
}));
const options: TrainerOptions = { optimizer: { ...defaultOptimizerConfig, learningRate: 1e-2 }, microBatchTokens: 0, klCoef: 0.1 };
const Extra = t.type({ note: t.string });

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

describe('trainer checkpoint', () => {
  it('restores weights, optimizer state and reference so that the next step is identical', async () => {
    const tensors = tf.memory().numTensors;
    const policy = createPolicy(config, 4);
    const trainer = unwrap(createTrainer(policy, options));
    const loss = supervisedLoss(9);
    for (let i = 0; i < 3; i++) unwrap(trainer.step(sequences, loss));
    const dir = join(root, 'trainer');
    await writeTrainerCheckpoint(dir, policy, trainer, { note: 'after 3' }, Extra);
    expect((await readdir(root)).filter((name) => name.startsWith('.'))).toEqual([]);

    const restored = rightOf(await readTrainerCheckpoint(dir, { trainer: options, extraCodec: Extra, expectedConfig: config }));
    expect(restored.manifest.extra).toEqual({ note: 'after 3' });
    expect(restored.manifest.optimizerSteps).toBe(3);
    expect(restored.trainer.steps).toBe(3);
    expect(restored.trainer.hasReference).toBe(true);
    const original = trainer.exportState();
    const copy = restored.trainer.exportState();
    for (const key of ['m', 'v', 'reference'] as const) {
      for (const [name, values] of original[key]!) expect(Array.from(copy[key]!.get(name)!), `${key} ${name}`).toEqual(Array.from(values));
    }
    const next = unwrap(trainer.step(sequences, loss));
    const nextRestored = unwrap(restored.trainer.step(sequences, loss));
    expect(nextRestored.loss).toBe(next.loss);
    for (const [name, values] of policy.weights()) expect(Array.from(restored.policy.weights().get(name)!), name).toEqual(Array.from(values));

    // Writing again replaces the checkpoint whole.
    await writeTrainerCheckpoint(dir, policy, trainer, { note: 'after 4' }, Extra);
    const again = rightOf(await readTrainerCheckpoint(dir, { trainer: options, extraCodec: Extra }));
    expect(again.manifest.extra.note).toBe('after 4');
    expect(again.trainer.steps).toBe(4);
    expect((await readdir(root)).filter((name) => name.startsWith('.'))).toEqual([]);

    for (const item of [trainer, policy, restored.trainer, restored.policy, again.trainer, again.policy]) item.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('refuses a damaged file, a missing manifest, a bad extra and another model config, naming what is wrong', async () => {
    const tensors = tf.memory().numTensors;
    const policy = createPolicy(config, 6);
    const trainer = unwrap(createTrainer(policy, { ...options, klCoef: 0 }));
    const fresh = async (name: string): Promise<string> => {
      const dir = join(root, name);
      await writeTrainerCheckpoint(dir, policy, trainer, { note: name }, Extra);
      return dir;
    };
    const read = (dir: string, expectedConfig?: PolicyConfig) =>
      readTrainerCheckpoint(dir, { trainer: { ...options, klCoef: 0 }, extraCodec: Extra, ...(expectedConfig === undefined ? {} : { expectedConfig }) });

    const flipped = await fresh('flipped');
    const optimizer = await readFile(join(flipped, 'optimizer.bin'));
    optimizer[17] = optimizer[17]! ^ 0xff;
    await writeFile(join(flipped, 'optimizer.bin'), optimizer);
    expect(leftMessage(await read(flipped))).toMatch(/optimizer\.bin: sha256 [0-9a-f]{64}, the manifest says [0-9a-f]{64}/);

    const weights = await fresh('weights');
    await writeFile(join(weights, TRAINER_POLICY_DIR, 'weights.bin'), new Uint8Array(8));
    expect(leftMessage(await read(weights))).toMatch(/policy\/weights\.bin: sha256/);

    const noManifest = await fresh('no-manifest');
    await rm(join(noManifest, 'manifest.json'));
    expect(leftMessage(await read(noManifest))).toMatch(/manifest\.json: cannot be read/);

    const badExtra = await fresh('bad-extra');
    const manifest = JSON.parse(await readFile(join(badExtra, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(join(badExtra, 'manifest.json'), JSON.stringify({ ...manifest, extra: { note: 7 } }));
    expect(leftMessage(await read(badExtra))).toMatch(/extra\.note: expected string, found 7/);

    const other = await fresh('other-config');
    expect(leftMessage(await read(other, { ...config, dModel: 32 }))).toMatch(/config dModel: 16 vs 32/);

    trainer.dispose();
    policy.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  });
});
