/**
 * A training checkpoint of the `rlflow` run, in the run's numbered checkpoint directory:
 *
 *   step-NNNNNN/
 *     …                the engine's own state (`Engine.save`: weights, optimizer state, reference,
 *                      and its manifest.json with the sha256 of every file; for the TensorFlow.js
 *                      engine policy/, optimizer.bin, manifest.json)
 *     run.json         format, the finished step, the curriculum state and the engine's receipt; written last
 *
 * The directory is filled under a temporary name and renamed into place (run/checkpoints.ts),
 * so `kill -9` at any moment leaves either the previous checkpoints or the new one, never a
 * half-written one that loads. Loading hands the directory to the engine, which checks every
 * hash and its model, and decodes the run's state with io-ts.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { deriveSeed, DecodeError } from '@rlflow/core';
import { CurriculumStateJson, decodeCurriculumState, encodeCurriculumState, type CurriculumState } from '@rlflow/curriculum';
import type { Engine, EngineInit } from '@rlflow/engine';
import type { TrainConfig } from '../config/index.js';
import { listCheckpoints, writeCheckpointDir, type CheckpointEntry } from '../run/index.js';
import { ensureSftCheckpoint, isSftRecipe, SFT_RECIPE_NAMES, SFT_RECIPES, sftRecipeOfInit } from '../sft/index.js';

export const RUN_CHECKPOINT_FORMAT = 'rlflow-run-checkpoint/2';
export const RUN_STATE_FILE = 'run.json';

export const TrainingManifest = t.type({
  format: t.literal(RUN_CHECKPOINT_FORMAT),
  step: t.number,
  curriculum: CurriculumStateJson,
  engine: t.type({ steps: t.number, files: t.record(t.string, t.string) }),
});
export type TrainingManifest = t.TypeOf<typeof TrainingManifest>;

/** Writes the checkpoint of `step` (finished steps) into the run directory; returns its path. */
export const writeTrainingCheckpoint = (dir: string, step: number, engine: Engine, state: CurriculumState): Promise<string> =>
  writeCheckpointDir(
    dir,
    step,
    async (tmp) => {
      const saved = await engine.save(tmp);
      if (E.isLeft(saved)) throw saved.left;
      const manifest: TrainingManifest = { format: RUN_CHECKPOINT_FORMAT, step, curriculum: encodeCurriculumState(state), engine: saved.right };
      await writeFile(join(tmp, RUN_STATE_FILE), `${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
    },
  );

const readRunState = async (path: string): Promise<TrainingManifest | null> => {
  try {
    const decoded = TrainingManifest.decode(JSON.parse(await readFile(join(path, RUN_STATE_FILE), 'utf8')));
    return E.isRight(decoded) ? decoded.right : null;
  } catch {
    return null;
  }
};

/** The complete checkpoint with the highest step (its engine manifest and its run state both decode), or null. */
export const latestTrainingCheckpoint = async (dir: string): Promise<CheckpointEntry<TrainingManifest> | null> => {
  const complete = await listCheckpoints(dir);
  for (const entry of [...complete].reverse()) {
    const manifest = await readRunState(entry.path);
    if (manifest !== null && manifest.step === entry.step) return { step: entry.step, path: entry.path, manifest };
  }
  return null;
};

/** Restores the engine's state and returns the curriculum state of a checkpoint; anything that does not match is an error naming it. */
export const restoreTrainingCheckpoint = async (entry: CheckpointEntry<TrainingManifest>, engine: Engine): Promise<CurriculumState> => {
  const loaded = await engine.load(entry.path);
  if (E.isLeft(loaded)) throw loaded.left;
  if (loaded.right.steps !== entry.manifest.engine.steps) {
    throw new DecodeError(join(entry.path, RUN_STATE_FILE), [`engine.steps: is ${entry.manifest.engine.steps}, the engine's state holds ${loaded.right.steps}`]);
  }
  const state = decodeCurriculumState(join(entry.path, RUN_STATE_FILE))(entry.manifest.curriculum);
  if (E.isLeft(state)) throw state.left;
  return state.right;
};

/** Where a fresh run's policy comes from: the SFT warm start (built when missing), random weights, or a policy checkpoint. */
export const initialEngineInit = async (config: TrainConfig, log: (line: string) => void): Promise<EngineInit> => {
  if (config.init === 'scratch') return { kind: 'seed', seed: deriveSeed(config.seed, 'init') };
  const recipe = sftRecipeOfInit(config.init);
  if (recipe !== null) {
    if (!isSftRecipe(recipe)) throw new Error(`init: ${JSON.stringify(config.init)} names no warm-start recipe (${SFT_RECIPE_NAMES.map((n) => `sft:${n}`).join(', ')})`);
    const sft = await ensureSftCheckpoint({ config: SFT_RECIPES[recipe](), log, progress: process.stderr, device: config.backend });
    if (E.isLeft(sft)) throw sft.left;
    log(`starting from the SFT warm start ${sft.right.checkpointDir}`);
    return { kind: 'weights', dir: sft.right.checkpointDir };
  }
  return { kind: 'weights', dir: config.init };
};
