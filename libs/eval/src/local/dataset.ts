/**
 * Local evaluation on a benchmark-format dataset (JSONL or Parquet, loaded by
 * `@rlflow/rollout`'s `loadDataset`: images resized to the model input, answers canonicalised):
 * each item's question (with its options) is the prompt, answered greedily (answer.ts) and
 * verified by the rollout's verifiers. Items the built-in model cannot read (an image of
 * another size, a prompt with characters outside the tokenizer's alphabet or longer than the
 * prompt budget) are set aside and listed with the reason, not scored as wrong.
 */
import * as E from 'fp-ts/lib/Either.js';
import { StageError, validate } from '@rlflow/core';
import { tokenizer } from '@rlflow/policy';
import { loadDataset, problemPrompt, type DatasetError, type LoadOptions, type PromptItem, type RecordIssue } from '@rlflow/rollout';
import { answerChecks, answerGreedily, type AnswerOptions, type LocalItemResult } from './answer.js';
import type { LocalEvalPolicy } from './policy.js';
import { localStats, type LocalStats } from './stats.js';

export interface DatasetEvalOptions extends Omit<AnswerOptions, 'policy'> {
  readonly policy: LocalEvalPolicy;
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

/** Why the policy cannot read `item`, or undefined when it can. */
export const unreadableReason = (config: LocalEvalPolicy['config'], item: PromptItem): string | undefined => {
  if (item.image.width !== config.imageSize || item.image.height !== config.imageSize) {
    return `image is ${item.image.width}×${item.image.height}, the model reads ${config.imageSize}×${config.imageSize}`;
  }
  const encoded = tokenizer.encode(problemPrompt(item));
  if (E.isLeft(encoded)) return `prompt: ${encoded.left.detail}`;
  if (encoded.right.length === 0) return 'prompt is empty';
  if (encoded.right.length > config.maxPromptTokens) return `prompt has ${encoded.right.length} tokens, the budget is ${config.maxPromptTokens}`;
  return undefined;
};

export const evaluateOnDataset = (options: DatasetEvalOptions): E.Either<StageError, DatasetEvaluation> => {
  const checked = validate(...answerChecks('eval.dataset', options));
  if (E.isLeft(checked)) return checked;
  const readable: PromptItem[] = [];
  const skipped: SkippedItem[] = [];
  for (const item of options.items) {
    const reason = unreadableReason(options.policy.config, item);
    if (reason === undefined) readable.push(item);
    else skipped.push({ id: item.id, reason });
  }
  const answers = answerGreedily(options, readable);
  if (E.isLeft(answers)) return answers;
  return E.right({ overall: localStats(answers.right), items: answers.right, skipped });
};

export interface DatasetFileEvaluation extends DatasetEvaluation {
  readonly file: string;
  /** Records the loader left out (with `onMalformed: 'skip'`). */
  readonly issues: readonly RecordIssue[];
}

/** Loads `path` with images resized to the policy's input and evaluates it. */
export const evaluateDatasetFile = async (
  options: Omit<DatasetEvalOptions, 'items'> & { readonly path: string; readonly loadOptions?: LoadOptions },
): Promise<E.Either<DatasetError | StageError, DatasetFileEvaluation>> => {
  const size = options.policy.config.imageSize;
  const loaded = await loadDataset(options.path, { ...options.loadOptions, imageWidth: size, imageHeight: size });
  if (E.isLeft(loaded)) return loaded;
  return E.map((evaluation: DatasetEvaluation) => ({ ...evaluation, file: loaded.right.file, issues: loaded.right.issues }))(
    evaluateOnDataset({ ...options, items: loaded.right.items }),
  );
};

/** A policy read from a checkpoint directory, owned by the caller (`dispose` releases it). */
export type CheckpointPolicyLoader = (dir: string) => Promise<E.Either<Error, LocalEvalPolicy & { dispose(): void }>>;

/**
 * Evaluates the policy stored in `checkpointDir` on the dataset at `path`. The loader reads the
 * checkpoint (e.g. `readPolicyCheckpoint` of @rlflow/policy); the policy is released afterwards.
 */
export const evaluateCheckpointOnDataset = async (
  options: Omit<DatasetEvalOptions, 'items' | 'policy'> & {
    readonly checkpointDir: string;
    readonly load: CheckpointPolicyLoader;
    readonly path: string;
    readonly loadOptions?: LoadOptions;
  },
): Promise<E.Either<Error, DatasetFileEvaluation>> => {
  const policy = await options.load(options.checkpointDir);
  if (E.isLeft(policy)) return policy;
  try {
    const { checkpointDir: _checkpointDir, load: _load, ...rest } = options;
    return await evaluateDatasetFile({ ...rest, policy: policy.right });
  } finally {
    policy.right.dispose();
  }
};
