/**
 * Format reward (R1 / APO style): 1 when the response is exactly
 *   ws* <think> T </think> ws* <answer> A </answer> ws*
 * where T and A contain none of the four tags, A has a non-blank character and T may be
 * empty; else 0. `ws` is whitespace (a trailing newline from generation is not penalised).
 *
 * `countResponseTokens` measures a response the way the suite budgets it: each of the four
 * tags is one token, every other character one token (the character-level tokenizer of
 * libs/policy, which is authoritative for training).
 */
export const THINK_OPEN = '<think>';
export const THINK_CLOSE = '</think>';
export const ANSWER_OPEN = '<answer>';
export const ANSWER_CLOSE = '</answer>';
export const RESPONSE_TAGS: readonly string[] = [THINK_OPEN, THINK_CLOSE, ANSWER_OPEN, ANSWER_CLOSE];

const FORMAT = /^\s*<think>([\s\S]*?)<\/think>\s*<answer>([\s\S]*?)<\/answer>\s*$/;
const ANY_TAG = /<\/?(?:think|answer)>/;

export const formatOk = (response: string): boolean => {
  const match = FORMAT.exec(response);
  if (match === null) return false;
  const think = match[1]!;
  const answer = match[2]!;
  return !ANY_TAG.test(think) && !ANY_TAG.test(answer) && answer.trim().length > 0;
};

export const formatReward = (response: string): 0 | 1 => (formatOk(response) ? 1 : 0);

const TAG_OR_CHAR = /<\/?(?:think|answer)>|[\s\S]/gu;

export const countResponseTokens = (response: string): number => response.match(TAG_OR_CHAR)?.length ?? 0;
