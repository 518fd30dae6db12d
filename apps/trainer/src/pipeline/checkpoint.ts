/**
 * A training checkpoint of the `rlflow` run: the engine's trainer checkpoint (libs/policy
 * trainer-checkpoint.ts: policy/, optimizer.bin, manifest.json with the sha256 of every file)
 * whose manifest `extra` holds the run's step and the curriculum state, in the run's numbered
 * checkpoint directory:
 *
 *   step-NNNNNN/
 *     policy/          the policy (config + weights)
 *     optimizer.bin    AdamW moments (and the frozen reference weights when a KL term keeps one)
 *     manifest.json    format, optimizer steps, hashes, extra: { step, curriculum }; written last
 *
 * The directory is filled under a temporary name and renamed into place (run/checkpoints.ts),
 * so `kill -9` at any moment leaves either the previous checkpoints or the new one, never a
 * half-written one that loads. Reading checks every hash, the parameter shapes against the
 * stored model config and the optimizer file's size.
 */
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { DecodeError, deriveSeed } from '@rlflow/core';
import { CurriculumStateJson, decodeCurriculumState, encodeCurriculumState, type CurriculumState } from '@rlflow/curriculum';
import {
  createPolicy,
  fillTrainerCheckpoint,
  readPolicyCheckpoint,
  readTrainerCheckpoint,
  trainerManifestCodec,
  TRAINER_MANIFEST_FILE,
  TRAINER_POLICY_DIR,
  type OptimizerConfig,
  type Policy,
  type Trainer,
} from '@rlflow/policy';
import type { TrainConfig } from '../config/index.js';
import { latestCheckpoint, writeCheckpointDir, type CheckpointEntry } from '../run/index.js';
import { ensureSftCheckpoint, loadSftPolicy, SFT_POLICY_CONFIG } from '../sft/index.js';

/** What the run adds to the engine's checkpoint: the finished step and the curriculum state (encoded). */
const RunExtra = t.type({ step: t.number, curriculum: CurriculumStateJson });

export const TrainingManifest = trainerManifestCodec(RunExtra);
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
    async (tmp) => void (await fillTrainerCheckpoint(tmp, policy, trainer, { step, curriculum: encodeCurriculumState(state) }, RunExtra)),
    TrainingManifest,
  );

export const latestTrainingCheckpoint = (dir: string): Promise<CheckpointEntry<TrainingManifest> | null> => latestCheckpoint(dir, TrainingManifest);

const fail = (path: string, problems: string[]): never => {
  throw new DecodeError(path, problems);
};

/** Restores policy, trainer and curriculum state from a checkpoint, checking hashes, shapes and config. */
export const readTrainingCheckpoint = async (path: string, config: TrainConfig): Promise<Omit<TrainingState, 'config'>> => {
  const restored = await readTrainerCheckpoint(path, {
    trainer: { optimizer: optimizerConfig(config), microBatchTokens: config.optimizer.microBatchTokens, klCoef: config.kl.coef },
    extraCodec: RunExtra,
  });
  if (E.isLeft(restored)) throw restored.left;
  const { policy, trainer, manifest } = restored.right;
  const state = decodeCurriculumState(join(path, TRAINER_MANIFEST_FILE))(manifest.extra.curriculum);
  if (E.isLeft(state)) {
    trainer.dispose();
    policy.dispose();
    throw state.left;
  }
  return { policy, trainer, state: state.right };
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
  const nested = await readPolicyCheckpoint(join(config.init, TRAINER_POLICY_DIR));
  if (E.isRight(nested)) return nested.right;
  return fail(config.init, [`is neither a policy checkpoint nor a training checkpoint: ${direct.left.message}`]);
};
