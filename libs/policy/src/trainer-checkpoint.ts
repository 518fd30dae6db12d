/**
 * The TensorFlow.js engine's training checkpoint (`TfjsEngine.save` / `load`): everything the
 * engine needs to continue exactly, as plain arrays.
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
 * `fillStateCheckpoint` fills a directory the caller publishes itself (the engine fills a
 * temporary sibling with `writeDirAtomic` and renames it into place, so a crash at any moment
 * leaves the previous checkpoint or the new one, never a half-written one that loads).
 * `readStateCheckpoint` decodes the manifest with io-ts, checks every hash, the policy's
 * parameters against its config, the optimizer file's size, and (when given) the expected model
 * config, and names each thing that does not match.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { DecodeError, decodeWith, readBytes, readJson, writeFileAtomic } from '@rlflow/core';
import { paramBytes, paramMaps, POLICY_FILE, readPolicyWeights, sha256Hex, WEIGHTS_FILE, writePolicyWeights } from './checkpoint.js';
import { configDifferences, type PolicyConfig } from './config.js';

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

/** The decoded manifest of the checkpoint in `dir`. */
export const readTrainerManifest = async <X, O>(dir: string, extraCodec: t.Type<X, O>): Promise<E.Either<DecodeError, TrainerManifest<X>>> => {
  const path = join(dir, TRAINER_MANIFEST_FILE);
  const json = await readJson(path);
  return E.isLeft(json) ? json : decodeWith(trainerManifestCodec(extraCodec), path)(json.right);
};

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
