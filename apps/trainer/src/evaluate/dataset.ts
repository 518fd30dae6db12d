/**
 * Local evaluation on a benchmark-format dataset (JSONL or Parquet, loaded by
 * `@rlflow/rollout`'s `loadDataset`: images resized to the engine's input, answers canonicalised):
 * each item's question (with its options) is the prompt, answered greedily through the engine
 * (answer.ts) and verified by the rollout's verifiers. Items the model cannot read (an image of
 * another size, a prompt with characters outside the tokenizer's alphabet or longer than the
 * prompt budget) are set aside and listed with the reason, not scored as wrong.
 */
import * as E from 'fp-ts/lib/Either.js';
import { StageError, validate } from '@rlflow/core';
import { BUILTIN_CODEC, loadDataset, type DatasetError, type DatasetLoadOptions, type PromptItem, type RecordIssue, type TextCodec } from '@rlflow/rollout';
import { answerChecks, answerGreedily, type AnswerOptions, type LocalItemResult } from './answer.js';
import type { SamplingEngine } from './engine.js';
import { localStats, type LocalStats } from './stats.js';

export interface DatasetEvalOptions extends AnswerOptions {
  readonly items: readonly PromptItem[];
}

export interface SkippedItem {
  readonly id: string;
  readonly reason: string;
}

export interface DatasetEvaluation {
  /** Over the evaluated items; `count` excludes the skipped ones. */
  readonly overall: LocalStats;
  readonly items: readonly LocalItemResult[];
  readonly skipped: readonly SkippedItem[];
}

/** Why a model with these input budgets cannot read `item`, or undefined when it can. */
export const unreadableReason = (info: SamplingEngine['info'], item: PromptItem, codec: TextCodec = BUILTIN_CODEC): string | undefined => {
  if (item.image.width !== info.imageSize || item.image.height !== info.imageSize) {
    return `image is ${item.image.width}×${item.image.height}, the model reads ${info.imageSize}×${info.imageSize}`;
  }
  const encoded = codec.encodePrompt(item);
  if (E.isLeft(encoded)) return `prompt: ${encoded.left.detail}`;
  if (encoded.right.length === 0) return 'prompt is empty';
  if (encoded.right.length > info.maxPromptTokens) return `prompt has ${encoded.right.length} tokens, the budget is ${info.maxPromptTokens}`;
  return undefined;
};

export const evaluateOnDataset = async (options: DatasetEvalOptions): Promise<E.Either<StageError, DatasetEvaluation>> => {
  const checked = validate(...answerChecks('eval.dataset', options));
  if (E.isLeft(checked)) return checked;
  const readable: PromptItem[] = [];
  const skipped: SkippedItem[] = [];
  for (const item of options.items) {
    const reason = unreadableReason(options.engine.info, item, options.codec);
    if (reason === undefined) readable.push(item);
    else skipped.push({ id: item.id, reason });
  }
  const answers = await answerGreedily(options, readable);
  return E.map((items: LocalItemResult[]) => ({ overall: localStats(items), items, skipped }))(answers);
};

export interface DatasetFileEvaluation extends DatasetEvaluation {
  readonly file: string;
  /** Records the loader left out (with `onMalformed: 'skip'`). */
  readonly issues: readonly RecordIssue[];
}

/** Loads `path` with images resized to the engine's input and evaluates it. */
export const evaluateDatasetFile = async (
  options: AnswerOptions & { readonly path: string; readonly loadOptions?: DatasetLoadOptions },
): Promise<E.Either<DatasetError | StageError, DatasetFileEvaluation>> => {
  const size = options.engine.info.imageSize;
  const loaded = await loadDataset(options.path, { ...options.loadOptions, imageWidth: size, imageHeight: size });
  if (E.isLeft(loaded)) return loaded;
  const evaluation = await evaluateOnDataset({ ...options, items: loaded.right.items });
  return E.map((right: DatasetEvaluation) => ({ ...right, file: loaded.right.file, issues: loaded.right.issues }))(evaluation);
};

/** An engine read from a checkpoint directory, owned by the caller (`dispose` releases it). */
export type CheckpointEngineLoader = (dir: string) => Promise<E.Either<Error, SamplingEngine & { dispose(): Promise<void> | void }>>;

/**
 * Evaluates the policy stored in `checkpointDir` on the dataset at `path`. The loader creates an
 * engine from the checkpoint; the engine is released afterwards.
 */
export const evaluateCheckpointOnDataset = async (
  options: Omit<AnswerOptions, 'engine'> & {
    readonly checkpointDir: string;
    readonly load: CheckpointEngineLoader;
    readonly path: string;
    readonly loadOptions?: DatasetLoadOptions;
  },
): Promise<E.Either<Error, DatasetFileEvaluation>> => {
  const engine = await options.load(options.checkpointDir);
  if (E.isLeft(engine)) return engine;
  try {
    const { checkpointDir: _checkpointDir, load: _load, ...rest } = options;
    return await evaluateDatasetFile({ ...rest, engine: engine.right });
  } finally {
    await engine.right.dispose();
  }
};
