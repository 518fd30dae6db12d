/**
 * Prompt side of a rollout: pulling items from a prompt source (an iterator; a finite one may
 * run out) and turning an item into model input: its prompt text (`problemPrompt`) encoded
 * with the policy's character tokenizer, and its image. An item's `id` is its prompt key: the
 * synthetic suite's ids are content addresses and dataset ids are unique per file, so the key
 * is stable across steps and runs.
 */
import * as E from 'fp-ts/lib/Either.js';
import { StageError } from '@rlflow/core';
import type { PromptInput } from '@rlflow/engine';
import { tokenizer } from '@rlflow/policy';
import type { PromptItem } from '../suite/problem.js';
import { problemPrompt } from '../suite/prompt.js';

/** Up to `count` items from `source`, fewer when it runs out. */
export const takePrompts = <P>(source: Iterator<P>, count: number): P[] => {
  const items: P[] = [];
  while (items.length < count) {
    const next = source.next();
    if (next.done === true) break;
    items.push(next.value);
  }
  return items;
};

/** The prompt token ids of an item; a character the tokenizer lacks is an error naming the item. */
export const encodePrompt =
  (stage: string) =>
  (item: Pick<PromptItem, 'id' | 'question' | 'choices'>, index: number): E.Either<StageError, number[]> => {
    const encoded = tokenizer.encode(problemPrompt(item));
    return E.isLeft(encoded)
      ? E.left(new StageError(stage, `prompts[${index}]`, encoded.left.index, 'invalid', `item ${JSON.stringify(item.id)}: ${encoded.left.detail}`))
      : encoded;
  };

/** The model input of an item whose prompt is already encoded. */
export const promptInput = (item: Pick<PromptItem, 'image'>, promptTokens: readonly number[]): PromptInput => ({
  image: item.image.data,
  promptTokens,
});
