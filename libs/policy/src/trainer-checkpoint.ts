/**
 * The engine's training checkpoint: everything a `Trainer` (or the TensorFlow.js engine) needs to
 * continue exactly.
 *
 *   DIR/
 *     policy/          the policy (checkpoint.ts: policy.json with the model config, weights.bin)
 *     optimizer.bin    AdamW first and second moments, then the frozen reference weights when a
 *                      KL term keeps one; float32 little-endian, each in `paramSpecs` order
 *     manifest.json    format, optimizer step count, whether a reference is stored, the sha256 of
 *                      every file above, and the caller's `extra` (e.g. the trainer app's step and
 *                      curriculum state); written last, so a directory without it is incomplete
 *
 * There is no RNG state to store: the engine draws nothing on its own; every random choice
 * (sampling, PAPO's patch masks) takes its seed from the caller, per call.
 *
 * `writeTrainerCheckpoint` fills a temporary sibling directory and renames it into place, so a
 * crash at any moment leaves the previous checkpoint or the new one, never a half-written one
 * that loads; `fillTrainerCheckpoint` fills a directory the caller publishes itself (the trainer
 * app's numbered checkpoints). Reading decodes the manifest with io-ts, checks every hash, the
 * policy's parameters against its config, the optimizer file's size, and (when given) the
 * expected model config, and names each thing that does not match.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { DecodeError, decodeWith, readBytes, readJson, writeDirAtomic, writeFileAtomic } from '@rlflow/core';
import { paramBytes, paramMaps, POLICY_FILE, readPolicyWeights, sha256Hex, WEIGHTS_FILE, writePolicyWeights } from './checkpoint.js';
import { configDifferences, type PolicyConfig } from './config.js';
import { Policy } from './policy.js';
import { createTrainer, type Trainer, type TrainerOptions } from './trainer.js';

export const TRAINER_CHECKPOINT_FORMAT = 'rlflow-trainer-checkpoint/1';
export const TRAINER_MANIFEST_FILE = 'manifest.json';
const OPTIMIZER_FILE = 'optimizer.bin';
/** The policy's subdirectory. */
export const TRAINER_POLICY_DIR = 'policy';

/** The manifest's codec, with the caller's `extra` decoded by `extra`. */
export const trainerManifestCodec = <X, O>(extra: t.Type<X, O>) =>
  t.type({
    format: t.literal(TRAINER_CHECKPOINT_FORMAT),
    optimizerSteps: t.number,
    hasReference: t.boolean,
    sha256: t.record(t.string, t.string),
    extra,
  });

export interface TrainerManifest<X> {
  readonly format: typeof TRAINER_CHECKPOINT_FORMAT;
  readonly optimizerSteps: number;
  readonly hasReference: boolean;
  readonly sha256: Readonly<Record<string, string>>;
  readonly extra: X;
}

/** The optimizer's state as plain arrays: what a checkpoint stores beside the policy. */
export interface StoredOptimizerState {
  /** Optimizer steps taken. */
  readonly step: number;
  readonly m: ReadonlyMap<string, Float32Array>;
  readonly v: ReadonlyMap<string, Float32Array>;
  readonly reference?: ReadonlyMap<string, Float32Array>;
}

/** Writes a configuration, its weights and optimizer state into the existing, empty directory `dir` (the manifest last). */
export const fillStateCheckpoint = async <X, O>(
  dir: string,
  config: PolicyConfig,
  weights: ReadonlyMap<string, Float32Array>,
  state: StoredOptimizerState,
  extra: X,
  extraCodec: t.Type<X, O>,
): Promise<TrainerManifest<O>> => {
  await writePolicyWeights(join(dir, TRAINER_POLICY_DIR), config, weights);
  const optimizer = paramBytes(config, state.reference === undefined ? [state.m, state.v] : [state.m, state.v, state.reference]);
  await writeFileAtomic(join(dir, OPTIMIZER_FILE), optimizer);
  const sha: Record<string, string> = { [OPTIMIZER_FILE]: sha256Hex(optimizer) };
  for (const file of [join(TRAINER_POLICY_DIR, POLICY_FILE), join(TRAINER_POLICY_DIR, WEIGHTS_FILE)]) sha[file] = sha256Hex(await readFile(join(dir, file)));
  const manifest: TrainerManifest<O> = {
    format: TRAINER_CHECKPOINT_FORMAT,
    optimizerSteps: state.step,
    hasReference: state.reference !== undefined,
    sha256: sha,
    extra: extraCodec.encode(extra),
  };
  await writeFileAtomic(join(dir, TRAINER_MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
};

/** Writes the checkpoint files of `policy` and `trainer` into the existing, empty directory `dir` (the manifest last). */
export const fillTrainerCheckpoint = async <X, O>(dir: string, policy: Policy, trainer: Trainer, extra: X, extraCodec: t.Type<X, O>): Promise<TrainerManifest<O>> =>
  fillStateCheckpoint(dir, policy.config, policy.weights(), trainer.exportState(), extra, extraCodec);

/** Writes the checkpoint to `dir` atomically: filled under a temporary sibling name, then renamed over `dir`. */
export const writeTrainerCheckpoint = async <X, O>(dir: string, policy: Policy, trainer: Trainer, extra: X, extraCodec: t.Type<X, O>): Promise<void> =>
  void (await writeDirAtomic(dir, (temp) => fillTrainerCheckpoint(temp, policy, trainer, extra, extraCodec)));

/** The decoded manifest of the checkpoint in `dir`. */
export const readTrainerManifest = async <X, O>(dir: string, extraCodec: t.Type<X, O>): Promise<E.Either<DecodeError, TrainerManifest<X>>> => {
  const path = join(dir, TRAINER_MANIFEST_FILE);
  const json = await readJson(path);
  return E.isLeft(json) ? json : decodeWith(trainerManifestCodec(extraCodec), path)(json.right);
};

export interface RestoredTrainer<X> {
  readonly policy: Policy;
  readonly trainer: Trainer;
  readonly manifest: TrainerManifest<X>;
}

export interface ReadTrainerOptions<X, O> {
  /** The trainer's options (learning-rate schedule, micro-batch budget, KL coefficient). */
  readonly trainer: TrainerOptions;
  readonly extraCodec: t.Type<X, O>;
  /** When given, the stored model config must equal it. */
  readonly expectedConfig?: PolicyConfig;
}

export interface RestoredState<X> {
  readonly config: PolicyConfig;
  readonly weights: Map<string, Float32Array>;
  readonly state: StoredOptimizerState;
  readonly manifest: TrainerManifest<X>;
}

export interface ReadStateOptions<X, O> {
  readonly extraCodec: t.Type<X, O>;
  /** When given, the stored model config must equal it. */
  readonly expectedConfig?: PolicyConfig;
}

/** Reads the weights and optimizer state in `dir` as plain arrays, checking hashes, shapes, sizes and config. */
export const readStateCheckpoint = async <X, O>(dir: string, options: ReadStateOptions<X, O>): Promise<E.Either<DecodeError, RestoredState<X>>> => {
  const manifest = await readTrainerManifest(dir, options.extraCodec);
  if (E.isLeft(manifest)) return manifest;
  const m = manifest.right;
  const mismatched: string[] = [];
  for (const file of [OPTIMIZER_FILE, join(TRAINER_POLICY_DIR, POLICY_FILE), join(TRAINER_POLICY_DIR, WEIGHTS_FILE)]) {
    if (m.sha256[file] === undefined) mismatched.push(`sha256.${file}: missing`);
  }
  for (const [file, digest] of Object.entries(m.sha256)) {
    const bytes = await readBytes(join(dir, file));
    if (E.isLeft(bytes)) return bytes;
    const actual = sha256Hex(bytes.right);
    if (actual !== digest) mismatched.push(`${file}: sha256 ${actual}, the manifest says ${digest}`);
  }
  if (mismatched.length > 0) return E.left(new DecodeError(join(dir, TRAINER_MANIFEST_FILE), mismatched));
  const policy = await readPolicyWeights(join(dir, TRAINER_POLICY_DIR));
  if (E.isLeft(policy)) return policy;
  const { config, weights } = policy.right;
  if (options.expectedConfig !== undefined) {
    const differences = configDifferences(config, options.expectedConfig);
    if (differences.length > 0) return E.left(new DecodeError(join(dir, TRAINER_POLICY_DIR, POLICY_FILE), differences.map((d) => `config ${d} (stored vs expected)`)));
  }
  const optimizerPath = join(dir, OPTIMIZER_FILE);
  const bytes = await readBytes(optimizerPath);
  if (E.isLeft(bytes)) return bytes;
  const maps = paramMaps(config, bytes.right, m.hasReference ? 3 : 2, optimizerPath);
  if (E.isLeft(maps)) return maps;
  const [moment1, moment2, reference] = maps.right;
  const state: StoredOptimizerState = { step: m.optimizerSteps, m: moment1!, v: moment2!, ...(reference === undefined ? {} : { reference }) };
  return E.right({ config, weights, state, manifest: m });
};

/** Restores the policy and its trainer from `dir`, checking hashes, shapes, sizes and config. */
export const readTrainerCheckpoint = async <X, O>(dir: string, options: ReadTrainerOptions<X, O>): Promise<E.Either<DecodeError, RestoredTrainer<X>>> => {
  const restored = await readStateCheckpoint(dir, options);
  if (E.isLeft(restored)) return restored;
  const { config, weights, state, manifest } = restored.right;
  const policy = Policy.fromWeights(config, weights);
  const trainer = createTrainer(policy, options.trainer, { ...state, options: options.trainer });
  if (E.isLeft(trainer)) {
    policy.dispose();
    return E.left(new DecodeError(dir, [trainer.left.message]));
  }
  return E.right({ policy, trainer: trainer.right, manifest });
};
