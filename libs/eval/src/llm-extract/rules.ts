/**
 * Answer extraction without an LLM: the official deterministic steps first, then rlflow's own
 * rules (not official; their agreement with the stored official LLM extractions is measured by
 * agreement.ts and reported in docs), for when no judge is available.
 *
 * MathVista (docs/evaluation.md §1.2): `extract_answer` steps 1–5 (quick extraction on); then, for multiple
 * choice, the last option letter stated as the answer (`answer is (B)`, `Answer: B`), else the last
 * `(X)` option letter, else the choice text mentioned last (whole words, case-insensitive); for
 * integer and float answers, the last `\boxed{…}` number, else the number after the last `answer
 * is` / `answer:`, else the last number (thousands commas removed); for lists, the last `[…]` with
 * its elements re-joined by `, ` (Python's `str(list)` spacing). Otherwise `""`.
 *
 * LogicVista (docs/evaluation.md §2.2): the official pre-LLM rules plus the single-letter rule; then an entry
 * made only of option letters (`B, D`, `A and C`, `(B)`), else the capital letter after the last
 * `answer` / `option` / `choice` (optionally `is`, `:`), else a single distinct `(X)` letter;
 * otherwise `ZZZZZ`.
 */
import { extractMathVistaAnswer } from '../scorers/mathvista.js';
import { LOGICVISTA_NO_CHOICE, preExtractLogicVista } from '../scorers/logicvista.js';
import type { MathVistaProblem } from '../formats/mathvista.js';

export type RuleSource = 'official' | 'rule' | 'none';

export interface RuleExtraction<A> {
  readonly value: A;
  /** `official`: an official deterministic step; `rule`: an rlflow rule; `none`: nothing found. */
  readonly source: RuleSource;
}

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

const lastMatch = (pattern: RegExp, text: string): RegExpExecArray | undefined => {
  let last: RegExpExecArray | undefined;
  for (const match of text.matchAll(new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`))) last = match as RegExpExecArray;
  return last;
};

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const ANSWER_LETTER = /answer\s*(?:is|:|=)?\s*[:*\s]*\(?([A-Z])\)?(?![\p{L}\p{N}])/iu;
const PAREN_LETTER = /\(([A-Z])\)/u;
const NUMBER = /-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|-?\.\d+/u;
const BOXED = /\\boxed\{([^{}]*)\}/u;
const ANSWER_NUMBER = new RegExp(`answer\\s*(?:is|:|=)?[\\s:*$]*(${NUMBER.source})`, 'iu');

const numberText = (text: string): string => text.replace(/,/g, '');

const multipleChoiceRule = (choices: readonly string[], response: string): string | undefined => {
  const inRange = (letter: string): boolean => LETTERS.indexOf(letter) >= 0 && LETTERS.indexOf(letter) < choices.length;
  const stated = lastMatch(ANSWER_LETTER, response);
  if (stated !== undefined && inRange(stated[1]!.toUpperCase()) && stated[1] === stated[1]!.toUpperCase()) return stated[1]!;
  const paren = lastMatch(PAREN_LETTER, response);
  if (paren !== undefined && inRange(paren[1]!)) return paren[1]!;
  let best: { readonly index: number; readonly at: number; readonly length: number } | undefined;
  choices.forEach((choice, index) => {
    if (choice.trim() === '') return;
    const found = lastMatch(new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(choice)}(?![\\p{L}\\p{N}])`, 'iu'), response);
    if (found === undefined) return;
    if (best === undefined || found.index > best.at || (found.index === best.at && choice.length > best.length)) best = { index, at: found.index, length: choice.length };
  });
  return best === undefined ? undefined : choices[best.index];
};

const numericRule = (response: string): string | undefined => {
  const boxed = lastMatch(BOXED, response);
  const boxedNumber = boxed === undefined ? undefined : NUMBER.exec(boxed[1]!);
  if (boxedNumber !== undefined && boxedNumber !== null) return numberText(boxedNumber[0]);
  const stated = lastMatch(ANSWER_NUMBER, response);
  if (stated !== undefined) return numberText(stated[1]!);
  const last = lastMatch(NUMBER, response);
  return last === undefined ? undefined : numberText(last[0]);
};

const listRule = (response: string): string | undefined => {
  const list = lastMatch(/\[([^[\]]*)\]/u, response);
  if (list === undefined) return undefined;
  const elements = list[1]!.split(',').map((element) => element.trim()).filter((element) => element !== '');
  return `[${elements.join(', ')}]`;
};

/** MathVista extraction without an LLM. */
export const ruleExtractMathVista =
  (problem: Pick<MathVistaProblem, 'question_type' | 'answer_type' | 'choices'>) =>
  (response: string): RuleExtraction<string> => {
    const official = extractMathVistaAnswer(problem, { quickExtract: true })(response);
    if (official.kind === 'extracted') return { value: official.extraction, source: 'official' };
    const found =
      problem.question_type === 'multi_choice'
        ? multipleChoiceRule(problem.choices ?? [], response)
        : problem.answer_type === 'list'
          ? listRule(response)
          : problem.answer_type === 'integer' || problem.answer_type === 'float'
            ? numericRule(response)
            : undefined;
    return found === undefined ? { value: '', source: 'none' } : { value: found, source: 'rule' };
  };

const LETTER_LIST = /^[\s(]*([A-H])\)?(?:\s*(?:,|and|&|or)\s*\(?([A-H])\)?)*[\s.)]*$/u;
const STATED_LETTER = /(?:answer|option|choice)\s*(?:is|:|=)?\s*[:*\s]*\(?([A-H])\)?(?![\p{L}\p{N}])/iu;

/** LogicVista extraction without an LLM (letters as the scorer compares them). */
export const ruleExtractLogicVista = (raw: string): RuleExtraction<readonly string[]> => {
  const pre = preExtractLogicVista({ singleLetterRule: true })(raw);
  if (pre.kind === 'resolved') return { value: pre.answers, source: 'official' };
  const entry = pre.entry;
  if (LETTER_LIST.test(entry)) return { value: [...new Set(entry.match(/(?<![\p{L}])[A-H](?![\p{L}])/gu) ?? [])], source: 'rule' };
  const stated = lastMatch(STATED_LETTER, entry);
  if (stated !== undefined && stated[1] === stated[1]!.toUpperCase()) return { value: [stated[1]!], source: 'rule' };
  const parens = [...new Set([...entry.matchAll(/\(([A-H])\)/gu)].map((m) => m[1]!))];
  if (parens.length === 1) return { value: parens, source: 'rule' };
  return { value: [LOGICVISTA_NO_CHOICE], source: 'none' };
};
