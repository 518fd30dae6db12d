/**
 * Where a run's prompts come from and how they are tokenised, loaded once before the first step:
 *
 *   codec      remote.tokenizer DIR: the model's own tokenizer.json and chat template (a remote
 *              engine only: the built-in model reads its character tokenizer); else the built-in
 *   train      rollout.dataset FILE (JSONL or Parquet, images resized to the engine's input): step t
 *              draws its prompts from the permutation of the file's items by deriveSeed(seed, prompts/t),
 *              then the next permutations; without it, the synthetic suite's train split
 *   held-out   eval.dataset FILE: the held-out evaluation answers its items through the engine's
 *              sampler; without it, the suite's test split
 */
import * as E from 'fp-ts/lib/Either.js';
import { Rng } from '@rlflow/core';
import { BUILTIN_CODEC, loadDataset, loadHfCodec, type DatasetItem, type TextCodec } from '@rlflow/rollout';
import type { TrainConfig } from '../config/index.js';
import { usesLocalInit } from '../engines.js';

export interface RunPrompts {
  readonly codec: TextCodec;
  /** The training prompts (rollout.dataset), or null for the synthetic suite. */
  readonly train: readonly DatasetItem[] | null;
  /** The held-out prompts (eval.dataset), or null for the suite's test split. */
  readonly heldOut: readonly DatasetItem[] | null;
}

export const BUILTIN_PROMPTS: RunPrompts = { codec: BUILTIN_CODEC, train: null, heldOut: null };

/** The run's text codec (before the engine: the engine is told the codec's end-of-sequence and image tokens). */
export const loadRunCodec = async (config: TrainConfig): Promise<TextCodec> => {
  const dir = config.remote.tokenizer;
  if (dir === null) return BUILTIN_CODEC;
  if (usesLocalInit(config.engine)) {
    throw new Error(`remote.tokenizer: is ${dir}, but engine ${config.engine} runs the built-in model, which reads only its own character tokenizer (use --engine tinker)`);
  }
  const codec = await loadHfCodec(dir);
  if (E.isLeft(codec)) throw new Error(`remote.tokenizer: ${codec.left.message}`);
  return codec.right;
};

const loadItems = async (field: string, path: string | null, imageSize: number): Promise<readonly DatasetItem[] | null> => {
  if (path === null) return null;
  const loaded = await loadDataset(path, { imageWidth: imageSize, imageHeight: imageSize });
  if (E.isLeft(loaded)) throw new Error(`${field}: ${loaded.left.message}`);
  if (loaded.right.items.length === 0) throw new Error(`${field}: ${path} holds no item`);
  return loaded.right.items;
};

export const loadRunPrompts = async (config: TrainConfig, codec: TextCodec, imageSize: number): Promise<RunPrompts> => ({
  codec,
  train: await loadItems('rollout.dataset', config.rollout.dataset, imageSize),
  heldOut: await loadItems('eval.dataset', config.eval.dataset, imageSize),
});

/** An endless source over `items`: one seeded permutation after another. */
export function* datasetSource<P>(items: readonly P[], seed: number): Generator<P, never, undefined> {
  const rng = Rng.fromSeed(seed);
  for (;;) yield* rng.shuffle(items);
}
