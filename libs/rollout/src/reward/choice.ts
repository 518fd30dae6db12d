/**
 * Multiple-choice equivalence. A candidate names an option letter when, after trimming, it is
 * - the letter alone, in either case, optionally in brackets and followed by `.` or `:`:
 *   "B", "b", "(B)", "[b]", "B)", "B.", "(B):";
 * - "option B" / "choice (b)" (either case);
 * - an upper-case letter followed by `)`, `.` or `:` and then text: "B) 5", "(B) red", "B: red";
 * - or, when the choices are known and the forms above name no option, an option's text
 *   (exact after `normaliseText`), provided exactly one option has that text.
 * The letter must name an option: one of the first `choices.length` letters when the choices
 * are known, else A–Z. So "y" with choices [x, y] is the text of option B, while "b" with
 * choices [b, a] is the letter B (a letter that names an option wins). The candidate is
 * correct when its letter is the reference's letter (the reference is read by the same rules).
 */
import { choiceIndex, choiceLetter } from '../suite/problem.js';
import { normaliseText } from './text.js';

const BARE = /^[([]?\s*([A-Za-z])\s*[)\]]?\s*[.:]?$/;
const WORDED = /^(?:option|choice)\s*[([]?\s*([A-Za-z])\s*[)\]]?\s*[.:]?$/i;
const LABELLED = /^[([]?([A-Z])\s*[)\].:]\s*\S/;

const names = (letter: string, choices: readonly string[] | undefined): boolean => {
  const index = choiceIndex(letter);
  return index >= 0 && (choices === undefined || index < choices.length);
};

export const choiceLetterOf = (candidate: string, choices?: readonly string[]): string | undefined => {
  const s = candidate.trim();
  const letter = (BARE.exec(s) ?? WORDED.exec(s) ?? LABELLED.exec(s))?.[1]?.toUpperCase();
  if (letter !== undefined && names(letter, choices)) return letter;
  if (choices === undefined) return undefined;
  const wanted = normaliseText(s);
  const hits = choices.flatMap((c, i) => (normaliseText(c) === wanted ? [i] : []));
  return hits.length === 1 ? choiceLetter(hits[0]!) : undefined;
};

export const choiceEquivalent = (candidate: string, reference: string, choices?: readonly string[]): boolean => {
  const expected = choiceLetterOf(reference, choices);
  return expected !== undefined && choiceLetterOf(candidate, choices) === expected;
};
