/**
 * Answer extraction: the first rule that applies wins.
 * 1. `answer-tag`: the trimmed content of the last complete `<answer>…</answer>` (even when
 *    blank: a closed tag is the model's final word).
 * 2. `open-answer-tag`: when an `<answer>` is never closed (a response cut at the token
 *    budget), the trimmed text after the last one, if not blank.
 * 3. `answer-phrase`: the last "answer is X" / "answer: X" (case-insensitive), X running to
 *    the end of its line, a trailing full stop removed.
 * 4. by answer type, over the whole response:
 *    - `integer` / `number`: `last-number`, the last number (signed, decimal or fraction a/b);
 *    - `choice`: `last-choice-letter`, the last capital letter standing alone (no letter or
 *      digit on either side, brackets allowed) that names an option (A.. as many as there are
 *      choices, A–J when the choices are unknown);
 *    - `text`: nothing.
 * No rule applies → `null`.
 */
import type { AnswerType } from '../suite/problem.js';

export type AnswerExtractionSource = 'answer-tag' | 'open-answer-tag' | 'answer-phrase' | 'last-number' | 'last-choice-letter';

export interface ExtractedAnswer {
  readonly text: string;
  readonly source: AnswerExtractionSource;
}

/** Number-like tokens: fractions, decimals (with thousands commas), integers; optional sign. */
export const NUMBER_TOKEN = /[+-]?(?:\d+\s*\/\s*\d+|\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)/g;

const lastMatch = (pattern: RegExp, text: string): RegExpExecArray | undefined => {
  let last: RegExpExecArray | undefined;
  const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
  for (let m = global.exec(text); m !== null; m = global.exec(text)) {
    last = m;
    if (m[0].length === 0) global.lastIndex++;
  }
  return last;
};

const answerTag = (response: string): ExtractedAnswer | undefined => {
  const closed = lastMatch(/<answer>([\s\S]*?)<\/answer>/, response);
  const lastOpen = response.lastIndexOf('<answer>');
  if (closed !== undefined && closed.index >= lastOpen) return { text: closed[1]!.trim(), source: 'answer-tag' };
  if (lastOpen >= 0 && !response.includes('</answer>', lastOpen)) {
    const rest = response.slice(lastOpen + '<answer>'.length).replace(/<\/?(?:think|answer)>/g, ' ').trim();
    if (rest.length > 0) return { text: rest, source: 'open-answer-tag' };
  }
  return closed === undefined ? undefined : { text: closed[1]!.trim(), source: 'answer-tag' };
};

const answerPhrase = (response: string): ExtractedAnswer | undefined => {
  const m = lastMatch(/\banswer\s*(?:is\b\s*:?|:)[ \t]*([^\n<]*)/i, response);
  if (m === undefined) return undefined;
  const text = m[1]!.trim().replace(/\.+$/, '').trim();
  return text.length > 0 ? { text, source: 'answer-phrase' } : undefined;
};

const lastNumber = (response: string): ExtractedAnswer | undefined => {
  const m = lastMatch(NUMBER_TOKEN, response);
  return m === undefined ? undefined : { text: m[0].replace(/\s+/g, ''), source: 'last-number' };
};

const lastChoiceLetter = (response: string, choiceCount: number | undefined): ExtractedAnswer | undefined => {
  const last = String.fromCharCode(64 + Math.min(26, choiceCount ?? 10));
  const m = lastMatch(new RegExp(`(?<![A-Za-z0-9])[A-${last}](?![A-Za-z0-9])`), response);
  return m === undefined ? undefined : { text: m[0], source: 'last-choice-letter' };
};

export const extractAnswer = (response: string, answerType: AnswerType, choiceCount?: number): ExtractedAnswer | null => {
  const found =
    answerTag(response) ??
    answerPhrase(response) ??
    (answerType === 'integer' || answerType === 'number'
      ? lastNumber(response)
      : answerType === 'choice'
        ? lastChoiceLetter(response, choiceCount)
        : undefined);
  return found ?? null;
};
