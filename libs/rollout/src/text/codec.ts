/**
 * How a rollout turns an item into prompt tokens and sampled tokens back into text: the text codec.
 *
 *   builtin      the built-in policy's character tokenizer; the prompt is `problemPrompt(item)`,
 *                the image is not in the tokens (the engine puts it first)
 *   Hugging Face a model's own tokenizer.json and chat template (hf.ts); the prompt is the
 *                template rendered over one user message [image, problemPrompt(item)] with the
 *                generation prompt, and the image's place is the one `imageTokenId` in the tokens
 *
 * `decodeResponse` reads a response up to (not including) its first end-of-sequence token.
 */
import * as E from 'fp-ts/lib/Either.js';
import { StageError } from '@rlflow/core';
import { EOS_ID, tokenizer } from '@rlflow/policy';
import type { PromptItem } from '../suite/problem.js';
import { problemPrompt } from '../suite/prompt.js';

export interface TextCodec {
  /** Where the codec comes from (`builtin`, or a tokenizer folder). */
  readonly source: string;
  readonly eosTokenId: number;
  /** The one token that marks the image's place in the prompt tokens, or null when the image is not in them. */
  readonly imageTokenId: number | null;
  readonly encodePrompt: (item: Pick<PromptItem, 'question' | 'choices'>) => E.Either<StageError, number[]>;
  readonly decodeResponse: (tokens: readonly number[]) => E.Either<StageError, string>;
}

export const BUILTIN_CODEC: TextCodec = {
  source: 'builtin',
  eosTokenId: EOS_ID,
  imageTokenId: null,
  encodePrompt: (item) => tokenizer.encode(problemPrompt(item)),
  decodeResponse: (tokens) => tokenizer.decodeResponse(tokens),
};

/** The response tokens before the first `eos` (all of them when there is none). */
export const untilEos = (tokens: readonly number[], eos: number): readonly number[] => {
  const end = tokens.indexOf(eos);
  return end < 0 ? tokens : tokens.slice(0, end);
};

export const codecError = (stage: string, field: string, detail: string, index: number | null = null): StageError => new StageError(stage, field, index, 'invalid', detail);
