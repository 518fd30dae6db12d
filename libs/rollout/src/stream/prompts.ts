/**
 * Prompt side of a rollout: pulling items from a prompt source (an iterator; a finite one may
 * run out) and turning an item into model input: its prompt encoded by the run's text codec
 * (text/codec.ts: the policy's character tokenizer, or a model's own tokenizer and chat template),
 * and its image. An item's `id` is its prompt key: the
 * synthetic suite's ids are content addresses and dataset ids are unique per file, so the key
 * is stable across steps and runs.
 */
import * as E from 'fp-ts/lib/Either.js';
import { StageError } from '@rlflow/core';
import type { PromptInput } from '@rlflow/engine';
import type { PromptItem } from '../suite/problem.js';
import { BUILTIN_CODEC, type TextCodec } from '../text/codec.js';

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

/** The prompt token ids of an item under `codec` (default the built-in tokenizer); a failure names the item. */
export const encodePrompt =
  (stage: string, codec: TextCodec = BUILTIN_CODEC) =>
  (item: Pick<PromptItem, 'id' | 'question' | 'choices'>, index: number): E.Either<StageError, number[]> => {
    const encoded = codec.encodePrompt(item);
    return E.isLeft(encoded)
      ? E.left(new StageError(stage, `prompts[${index}]`, encoded.left.index, 'invalid', `item ${JSON.stringify(item.id)}: ${encoded.left.detail}`))
      : encoded;
  };

/** The model input of an item whose prompt is already encoded. */
export const promptInput = (item: Pick<PromptItem, 'image'>, promptTokens: readonly number[]): PromptInput => ({
  image: item.image.data,
  promptTokens,
});
