/**
 * A training checkpoint: everything the loop needs to continue exactly as if it had not stopped.
 *
 *   step-NNNNNN/
 *     policy/          the policy (config + weights), libs/policy's policy checkpoint (checkpoint.ts)
 *     optimizer.bin    AdamW first and second moments (and the frozen reference weights when a KL
 *                      term keeps one), float32 little-endian, in `paramSpecs` order
 *     manifest.json    step, optimizer step count, the curriculum state, and the sha256 of every
 *                      file above; written last, so a directory without it is incomplete
 *
 * The directory is filled under a temporary name and renamed into place (run/checkpoints.ts),
 * so `kill -9` at any moment leaves either the previous checkpoints or the new one, never a
 * half-written one that loads. Reading checks every hash, the parameter shapes and that the
 * policy's config is the run's.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { DecodeError, decodeWith, deriveSeed, writeFileAtomic } from '@rlflow/core';
import { CurriculumStateJson, decodeCurriculumState, encodeCurriculumState, type CurriculumState } from '@rlflow/curriculum';
import {
  createPolicy,
  createTrainer,
  paramSpecs,
  POLICY_FILE,
  readPolicyCheckpoint,
  WEIGHTS_FILE,
  writePolicyCheckpoint,
  type OptimizerConfig,
  type Policy,
  type Trainer,
  type TrainerState,
} from '@rlflow/policy';
import type { TrainConfig } from '../config/index.js';
import { latestCheckpoint, writeCheckpointDir, type CheckpointEntry } from '../run/index.js';
import { ensureSftCheckpoint, loadSftPolicy, SFT_POLICY_CONFIG } from '../sft/index.js';

export const TRAINING_CHECKPOINT_FORMAT = 'rlflow-training-checkpoint/1';
const OPTIMIZER_FILE = 'optimizer.bin';
const POLICY_DIR = 'policy';

export const TrainingManifest = t.type({
  format: t.literal(TRAINING_CHECKPOINT_FORMAT),
  step: t.number,
  optimizerSteps: t.number,
  hasReference: t.boolean,
  curriculum: CurriculumStateJson,
  sha256: t.record(t.string, t.string),
});
export type TrainingManifest = t.TypeOf<typeof TrainingManifest>;

/** The AdamW configuration of a run; the cosine horizon counts optimizer updates (steps × mean K × mini-batches). */
export const optimizerConfig = (config: TrainConfig): OptimizerConfig => {
  const { optimizer, curriculum, steps } = config;
  return {
    learningRate: optimizer.lr,
    beta1: optimizer.betas[0],
    beta2: optimizer.betas[1],
    epsilon: optimizer.eps,
    weightDecay: optimizer.weightDecay,
    warmupSteps: optimizer.warmupSteps,
    schedule: optimizer.schedule,
    totalSteps: Math.max(1, Math.ceil(steps * curriculum.miniBatches * ((curriculum.kMin + curriculum.kMax) / 2))),
    minLearningRateRatio: 0.1,
    maxGradNorm: optimizer.maxGradNorm ?? 0,
  };
};

const sha256 = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

const concatenate = (policy: Policy, maps: readonly ReadonlyMap<string, Float32Array>[]): Uint8Array => {
  const specs = paramSpecs(policy.config);
  const size = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  const out = new Float32Array(size * maps.length);
  let offset = 0;
  for (const map of maps) {
    for (const spec of specs) {
      const values = map.get(spec.name)!;
      out.set(values, offset);
      offset += values.length;
    }
  }
  const bytes = new Uint8Array(out.byteLength);
  const view = new DataView(bytes.buffer);
  out.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return bytes;
};

const split = (policy: Policy, bytes: Uint8Array, count: number, path: string): E.Either<DecodeError, Map<string, Float32Array>[]> => {
  const specs = paramSpecs(policy.config);
  const size = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  if (bytes.byteLength !== 4 * size * count) {
    return E.left(new DecodeError(path, [`has ${bytes.byteLength} bytes, expected ${4 * size * count} (${count} × ${size} float32 values)`]));
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  return E.right(
    Array.from({ length: count }, () => {
      const map = new Map<string, Float32Array>();
      for (const spec of specs) {
        const n = spec.shape.reduce((a, b) => a * b, 1);
        map.set(spec.name, Float32Array.from({ length: n }, (_, i) => view.getFloat32(4 * (offset + i), true)));
        offset += n;
      }
      return map;
    }),
  );
};

export interface TrainingState {
  readonly policy: Policy;
  readonly trainer: Trainer;
  readonly state: CurriculumState;
  readonly config: TrainConfig;
}

/** Writes the checkpoint of `step` (finished steps) into the run directory; returns its path. */
export const writeTrainingCheckpoint = (dir: string, step: number, { policy, trainer, state }: TrainingState): Promise<string> =>
  writeCheckpointDir(
    dir,
    step,
    async (tmp) => {
      await writePolicyCheckpoint(join(tmp, POLICY_DIR), policy);
      const exported = trainer.exportState();
      const maps = exported.reference === undefined ? [exported.m, exported.v] : [exported.m, exported.v, exported.reference];
      const optimizer = concatenate(policy, maps);
      await writeFileAtomic(join(tmp, OPTIMIZER_FILE), optimizer);
      const files = [join(POLICY_DIR, POLICY_FILE), join(POLICY_DIR, WEIGHTS_FILE)];
      const digests: Record<string, string> = { [OPTIMIZER_FILE]: sha256(optimizer) };
      for (const file of files) digests[file] = sha256(await readFile(join(tmp, file)));
      const manifest: TrainingManifest = {
        format: TRAINING_CHECKPOINT_FORMAT,
        step,
        optimizerSteps: exported.step,
        hasReference: exported.reference !== undefined,
        curriculum: encodeCurriculumState(state),
        sha256: digests,
      };
      await writeFileAtomic(join(tmp, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    },
    TrainingManifest,
  );

export const latestTrainingCheckpoint = (dir: string): Promise<CheckpointEntry<TrainingManifest> | null> => latestCheckpoint(dir, TrainingManifest);

const fail = (path: string, problems: string[]): never => {
  throw new DecodeError(path, problems);
};

/** Restores policy, trainer and curriculum state from a checkpoint, checking hashes, shapes and config. */
export const readTrainingCheckpoint = async (path: string, config: TrainConfig): Promise<Omit<TrainingState, 'config'>> => {
  const manifestPath = join(path, 'manifest.json');
  const manifest = decodeWith(TrainingManifest, manifestPath)(JSON.parse(await readFile(manifestPath, 'utf8')));
  if (E.isLeft(manifest)) throw manifest.left;
  const m = manifest.right;
  const mismatched: string[] = [];
  for (const [file, digest] of Object.entries(m.sha256)) {
    const actual = sha256(await readFile(join(path, file)));
    if (actual !== digest) mismatched.push(`${file}: sha256 ${actual}, the manifest says ${digest}`);
  }
  if (mismatched.length > 0) fail(manifestPath, mismatched);
  const policy = await readPolicyCheckpoint(join(path, POLICY_DIR));
  if (E.isLeft(policy)) throw policy.left;
  const bytes = new Uint8Array(await readFile(join(path, OPTIMIZER_FILE)));
  const maps = split(policy.right, bytes, m.hasReference ? 3 : 2, join(path, OPTIMIZER_FILE));
  if (E.isLeft(maps)) throw maps.left;
  const [moment1, moment2, reference] = maps.right;
  const trainerState: TrainerState = {
    options: { optimizer: optimizerConfig(config), microBatchTokens: config.optimizer.microBatchTokens, klCoef: config.kl.coef },
    step: m.optimizerSteps,
    m: moment1!,
    v: moment2!,
    ...(reference === undefined ? {} : { reference }),
  };
  const trainer = createTrainer(policy.right, trainerState.options, trainerState);
  if (E.isLeft(trainer)) throw trainer.left;
  const state = decodeCurriculumState(manifestPath)(m.curriculum);
  if (E.isLeft(state)) throw state.left;
  return { policy: policy.right, trainer: trainer.right, state: state.right };
};

/** The policy a fresh run starts from: the SFT warm start (built when missing), random weights, or a checkpoint. */
export const initialPolicy = async (config: TrainConfig, log: (line: string) => void): Promise<Policy> => {
  if (config.init === 'scratch') return createPolicy(SFT_POLICY_CONFIG, deriveSeed(config.seed, 'init'));
  if (config.init === 'sft') {
    const sft = await ensureSftCheckpoint({ log, progress: process.stderr });
    if (E.isLeft(sft)) throw sft.left;
    log(`starting from the SFT warm start ${sft.right.checkpointDir}`);
    const policy = await loadSftPolicy(sft.right);
    if (E.isLeft(policy)) throw policy.left;
    return policy.right;
  }
  const direct = await readPolicyCheckpoint(config.init);
  if (E.isRight(direct)) return direct.right;
  const nested = await readPolicyCheckpoint(join(config.init, POLICY_DIR));
  if (E.isRight(nested)) return nested.right;
  return fail(config.init, [`is neither a policy checkpoint nor a training checkpoint: ${direct.left.message}`]);
};
