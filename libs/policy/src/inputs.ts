/**
 * Validation of what callers hand the engine: images of the configured size with values in
 * [0, 1], non-empty prompts within the prompt budget, responses within the response budget, and
 * token ids inside the vocabulary. A problem is a `StageError` naming the field with the
 * sequence index (`sequences[3].promptTokens`) and the position inside it.
 */
import * as E from 'fp-ts/lib/Either.js';
import { StageError } from '@rlflow/core';
import { geometry, type PolicyConfig } from './config.js';
import type { LayoutInput } from './layout.js';

const checkTokens = (stage: string, field: string, tokens: readonly number[], vocabSize: number, maxLength: number, minLength: number): StageError | undefined => {
  if (tokens.length < minLength) return new StageError(stage, field, null, 'empty', `has ${tokens.length} tokens, expected at least ${minLength}`);
  if (tokens.length > maxLength) return new StageError(stage, field, null, 'out-of-range', `has ${tokens.length} tokens, expected at most ${maxLength}`);
  for (let i = 0; i < tokens.length; i++) {
    const id = tokens[i]!;
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) return new StageError(stage, field, i, 'out-of-range', `is ${id}, expected a token id in [0, ${vocabSize})`);
  }
  return undefined;
};

const checkImage = (stage: string, field: string, image: Float32Array, values: number): StageError | undefined => {
  if (!(image instanceof Float32Array) || image.length !== values) {
    return new StageError(stage, field, null, 'length-mismatch', `has ${image.length} values, expected ${values} (a row-major [H][W][3] Float32Array)`);
  }
  for (let i = 0; i < image.length; i++) {
    const x = image[i]!;
    if (!Number.isFinite(x)) return new StageError(stage, field, i, 'not-finite', `is ${x}, expected a finite number`);
    if (x < 0 || x > 1) return new StageError(stage, field, i, 'out-of-range', `is ${x}, expected a value in [0, 1]`);
  }
  return undefined;
};

/** Checks every sequence; `withResponses` also checks the response tokens. */
export const validateSequences = (
  stage: string,
  config: PolicyConfig,
  sequences: readonly LayoutInput[],
  withResponses: boolean,
): E.Either<StageError, void> => {
  if (sequences.length === 0) return E.left(new StageError(stage, 'sequences', null, 'empty', 'is empty'));
  const values = geometry(config).imageValues;
  for (let b = 0; b < sequences.length; b++) {
    const s = sequences[b]!;
    const error =
      checkImage(stage, `sequences[${b}].image`, s.image, values) ??
      checkTokens(stage, `sequences[${b}].promptTokens`, s.promptTokens, config.vocabSize, config.maxPromptTokens, 1) ??
      (withResponses ? checkTokens(stage, `sequences[${b}].responseTokens`, s.responseTokens ?? [], config.vocabSize, config.maxResponseTokens, 0) : undefined);
    if (error !== undefined) return E.left(error);
  }
  return E.right(undefined);
};

/** Which image patches to blacken, [B, I]: each independently with `probability`, drawn from `rng` row by row. */
export const blackenedPatches = (batch: number, imageTokens: number, probability: number, draw: () => number): Uint8Array => {
  const flags = new Uint8Array(batch * imageTokens);
  for (let i = 0; i < flags.length; i++) flags[i] = draw() < probability ? 1 : 0;
  return flags;
};
