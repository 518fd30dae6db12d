/**
 * The shapes shared by every prompt source: an RGB image, a question, a verifiable answer and
 * its type. `PromptItem` is what the rollout needs (synthetic problems and dataset records
 * alike); `Problem` adds what the synthetic suite knows about its own items (family, level,
 * split and a reference solution).
 *
 * Budgets of the built-in model (docs/architecture.md, "Default model"): a prompt of at most 48 tokens
 * and a response of at most 32. The tokenizer is character-level (libs/policy), so a prompt
 * budget is a character budget; in a response the four tags count as one token each.
 */

/** HWC RGB, values in [0, 1], `data.length === width * height * 3`. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

/**
 * How an answer is verified: `integer` and `number` by numeric equivalence, `choice` as an
 * option letter (A, B, ...), `text` by normalised exact match.
 */
export type AnswerType = 'integer' | 'number' | 'choice' | 'text';
export const ANSWER_TYPES: readonly AnswerType[] = ['integer', 'number', 'choice', 'text'];

/** What a verifier needs to score a response. */
export interface AnswerTarget {
  readonly answer: string;
  readonly answerType: AnswerType;
  /** Option texts, labelled A, B, C, ... in order, when the question is multiple choice. */
  readonly choices?: readonly string[];
}

export interface PromptItem extends AnswerTarget {
  readonly id: string;
  readonly image: RgbImage;
  readonly question: string;
}

/** The suite's task families (each has its generator, `GENERATORS` in generate.ts); the one list of their names. */
export const FAMILIES = ['counting', 'comparison', 'arithmetic', 'chart', 'pattern'] as const;
export type Family = (typeof FAMILIES)[number];

/** The suite's splits: train for training, validation for every choice of settings, test only ever reported (split.ts). */
export const SPLITS = ['train', 'validation', 'test'] as const;
export type Split = (typeof SPLITS)[number];
/** The splits a held-out evaluation may target. */
export const HELD_OUT_SPLITS = ['validation', 'test'] as const;
export type HeldOutSplit = (typeof HELD_OUT_SPLITS)[number];

/** The difficulty levels every family defines (`<FAMILY>_LEVELS` in families/); the one list of them. */
export const LEVELS = [1, 2, 3, 4, 5] as const;
export type Level = (typeof LEVELS)[number];

export interface Problem extends PromptItem {
  readonly family: Family;
  readonly level: Level;
  readonly split: Split;
  /** A reference response `<think>…</think><answer>…</answer>` that scores correct. */
  readonly solution: string;
}

/** Side of the square image the built-in model reads. */
export const MODEL_IMAGE_SIZE = 32;
/** Longest question the suite writes, in characters. */
export const MAX_QUESTION_CHARS = 40;
/** Longest prompt (question and choices, see `problemPrompt`), in characters = tokens. */
export const MAX_PROMPT_CHARS = 48;
/**
 * Longest reference solution, in response tokens (`countResponseTokens`): one less than the
 * model's 32-token response budget, leaving room for an end-of-sequence token.
 */
export const MAX_SOLUTION_TOKENS = 31;

/** Characters the suite writes in questions, choices and solutions (tags aside). */
export const SUITE_CHARACTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ?.,:;()+-=<>/';

/** The option letter of the choice at `index` (0 → A). */
export const choiceLetter = (index: number): string => String.fromCharCode(65 + index);

/** The index of an option letter (A → 0), or -1 for anything else. */
export const choiceIndex = (letter: string): number =>
  letter.length === 1 && letter >= 'A' && letter <= 'Z' ? letter.charCodeAt(0) - 65 : -1;
