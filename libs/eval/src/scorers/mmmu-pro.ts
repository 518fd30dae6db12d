/**
 * MMMU-Pro multiple-choice scoring, docs/evaluation.md §3.2 (MMMU-Benchmark/MMMU `mmmu-pro/evaluate.py`,
 * `parse_multi_choice_response`):
 *
 * 1. "Answer:" step: after the last case-sensitive `Answer:`, the stripped rest; the option letters
 *    occurring in it anywhere (plain substring); exactly one → that letter.
 * 2. Otherwise the whole response, `.strip(c)` for c in `, . ! ? ; : '` in turn, padded with spaces.
 * 3. Candidates: letters L with `(L)` in it; else with `L ` in it; else with `L.` in it; else, when the
 *    padded response has more than 5 whitespace-separated tokens, letters whose option text
 *    (lowercased) occurs in the lowercased response (content candidates).
 * 4. No candidate → `random.choice(all_choices)` (unseeded upstream; here seeded per item and reported
 *    as unparsed). Several → the one whose last occurrence starts furthest right (`rfind` of `(L)`,
 *    of ` L ` — which may be −1 — or of the option text), the first on ties (`np.argmax`).
 * 5. Correct iff the letter equals the gold letter; accuracy = correct / 1730 (micro average).
 *
 * Breakdowns: subject, the MMMU domain of the subject (`DOMAIN_CAT2SUB_CAT`), topic difficulty and
 * the parser route that decided the item (`answer-line`, `single-candidate`, `multiple-candidates`, `random`,
 * `unscorable`).
 *
 * A row the official parser would crash on (an option that is not a string reached by the content
 * step, e.g. `validation_Accounting_29`, whose options are `[['A', 'B', 'Not enough information']]`)
 * is not a failure of the whole file here: it is scored wrong, counted as unparsed with route
 * `unscorable`, and listed with the reason in `unscorable`.
 */
import * as E from 'fp-ts/lib/Either.js';
import { deriveSeed, Rng, StageError } from '@rlflow/core';
import { pySplitWhitespace, pyStrip } from '../formats/python-text.js';
import type { PyLiteral } from '../formats/python-literal.js';
import { breakdownOf, totalsOf, type BenchmarkScore, type ItemResult } from './result.js';

export type MmmuProRoute = 'answer-line' | 'single-candidate' | 'multiple-candidates' | 'random' | 'unscorable';

export type MmmuProParse =
  | { readonly route: 'answer-line' | 'single-candidate' | 'multiple-candidates'; readonly letter: string }
  | { readonly route: 'random' };

/** `get_multi_choice_info`: the letters `A, B, …` for the options. */
export const mmmuProLetters = (optionCount: number): string[] => Array.from({ length: optionCount }, (_, i) => String.fromCharCode(65 + i));

const PUNCTUATION = [',', '.', '!', '?', ';', ':', "'"];

/** The index of the first maximum (`np.argmax`). */
const argmax = (values: readonly number[]): number => values.reduce((best, v, i) => (v > values[best]! ? i : best), 0);

/**
 * `parse_multi_choice_response` up to the random fallback, which it reports as `{route: 'random'}`.
 * An option that is not a string fails only where Python would (its `.lower()` in the content step).
 */
export const parseMmmuProResponse =
  (options: readonly PyLiteral[]) =>
  (response: string): E.Either<StageError, MmmuProParse> => {
    const letters = mmmuProLetters(options.length);
    const answerAt = response.lastIndexOf('Answer:');
    if (answerAt !== -1) {
      const rest = pyStrip(response.slice(answerAt + 'Answer:'.length));
      const matching = letters.filter((letter) => rest.includes(letter));
      if (matching.length === 1) return E.right({ route: 'answer-line', letter: matching[0]! });
    }
    let text = response;
    for (const ch of PUNCTUATION) text = pyStrip(text, ch);
    text = ` ${text} `;

    let candidates = letters.filter((letter) => text.includes(`(${letter})`));
    const withBrackets = candidates.length > 0;
    if (candidates.length === 0) candidates = letters.filter((letter) => text.includes(`${letter} `));
    if (candidates.length === 0) candidates = letters.filter((letter) => text.includes(`${letter}.`));
    let byContent = false;
    if (candidates.length === 0 && pySplitWhitespace(text).length > 5) {
      const lower = text.toLowerCase();
      for (let i = 0; i < options.length; i++) {
        const option = options[i]!;
        if (typeof option !== 'string') {
          return E.left(
            new StageError('mmmu-pro-parse', 'options', i, 'invalid', `option ${letters[i]} is not a string (evaluate.py raises on .lower())`),
          );
        }
        if (lower.includes(option.toLowerCase())) {
          candidates.push(letters[i]!);
          byContent = true;
        }
      }
    }
    if (candidates.length === 0) return E.right({ route: 'random' });
    if (candidates.length === 1) return E.right({ route: 'single-candidate', letter: candidates[0]! });
    const lower = text.toLowerCase();
    const starts = candidates.map((letter) =>
      byContent
        ? lower.lastIndexOf((options[letters.indexOf(letter)] as string).toLowerCase())
        : withBrackets
          ? text.lastIndexOf(`(${letter})`)
          : text.lastIndexOf(` ${letter} `),
    );
    return E.right({ route: 'multiple-candidates', letter: candidates[argmax(starts)]! });
  };

/** The seeded stand-in for `random.choice(all_choices)`: one uniform draw from a stream named by the item id. */
export const mmmuProRandomLetter = (seed: number, itemId: string, optionCount: number): string =>
  Rng.fromSeed(deriveSeed(seed, `mmmu-pro/${itemId}`)).pick(mmmuProLetters(optionCount));

/** `DOMAIN_CAT2SUB_CAT` of `evaluate.py`: the domain of each subject. */
export const MMMU_DOMAINS: Readonly<Record<string, readonly string[]>> = {
  'Art and Design': ['Art', 'Art_Theory', 'Design', 'Music'],
  Business: ['Accounting', 'Economics', 'Finance', 'Manage', 'Marketing'],
  Science: ['Biology', 'Chemistry', 'Geography', 'Math', 'Physics'],
  'Health and Medicine': ['Basic_Medical_Science', 'Clinical_Medicine', 'Diagnostics_and_Laboratory_Medicine', 'Pharmacy', 'Public_Health'],
  'Humanities and Social Science': ['History', 'Literature', 'Sociology', 'Psychology'],
  'Tech and Engineering': ['Agriculture', 'Architecture_and_Engineering', 'Computer_Science', 'Electronics', 'Energy_and_Power', 'Materials', 'Mechanical_Engineering'],
};

const DOMAIN_OF: ReadonlyMap<string, string> = new Map(Object.entries(MMMU_DOMAINS).flatMap(([domain, subjects]) => subjects.map((s) => [s, domain] as const)));

export interface MmmuProScoringRow {
  readonly id: string;
  readonly options: readonly PyLiteral[];
  readonly answer: string;
  /** The model text; a failed request (an object upstream) is scored as `''`. */
  readonly response: string;
  readonly subject?: string;
  readonly difficulty?: string;
  /** The stored `pred_indexs`, used for rows that reach the random fallback when `fallback` is `stored`. */
  readonly storedPrediction?: string;
}

export interface MmmuProItemResult extends ItemResult {
  readonly route: MmmuProRoute;
  readonly answer: string;
}

/** A row the official parser cannot handle, and why. */
export interface UnscorableRow {
  readonly id: string;
  readonly reason: string;
}

export interface MmmuProScoreOptions {
  /** Seed of the random fallback (default 0). */
  readonly seed?: number;
  /**
   * What a row that reaches the random fallback predicts: `seeded` (a seeded draw) or `stored` (the row's
   * stored `pred_indexs` when it has one, else a seeded draw) — `stored` reproduces a published total.
   */
  readonly fallback?: 'seeded' | 'stored';
}

export interface MmmuProScore extends BenchmarkScore<MmmuProItemResult> {
  /** How many rows each route of the parser decided. */
  readonly routes: Readonly<Record<MmmuProRoute, number>>;
  /** The rows of route `unscorable`, in row order. */
  readonly unscorable: readonly UnscorableRow[];
}

/** The reason a row is unscorable, naming the option: `options[0]: option A is not a string (…)`. */
export const unscorableReason = (error: StageError): string => `${error.field}${error.index === null ? '' : `[${error.index}]`}: ${error.detail}`;

/** Parses and scores every row; a row the official parser would crash on is scored wrong as `unscorable`. */
export const scoreMmmuPro =
  (options: MmmuProScoreOptions = {}) =>
  (rows: readonly MmmuProScoringRow[]): MmmuProScore => {
    const seed = options.seed ?? 0;
    const items: MmmuProItemResult[] = [];
    const unscorable: UnscorableRow[] = [];
    for (const row of rows) {
      const parsed = parseMmmuProResponse(row.options)(row.response);
      if (E.isLeft(parsed)) {
        unscorable.push({ id: row.id, reason: unscorableReason(parsed.left) });
        items.push({ id: row.id, prediction: null, answer: row.answer, correct: false, parsed: false, route: 'unscorable' });
        continue;
      }
      const parse = parsed.right;
      const letter =
        parse.route !== 'random'
          ? parse.letter
          : options.fallback === 'stored' && row.storedPrediction !== undefined
            ? row.storedPrediction
            : mmmuProRandomLetter(seed, row.id, row.options.length);
      items.push({ id: row.id, prediction: letter, answer: row.answer, correct: letter === row.answer, parsed: parse.route !== 'random', route: parse.route });
    }
    const routes: Record<MmmuProRoute, number> = { 'answer-line': 0, 'single-candidate': 0, 'multiple-candidates': 0, random: 0, unscorable: 0 };
    for (const item of items) routes[item.route] += 1;
    const breakdown = breakdownOf(
      ['subject', 'domain', 'difficulty', 'route'],
      rows.map((row, i) => ({
        correct: items[i]!.correct,
        groups: {
          subject: row.subject === undefined ? [] : [row.subject],
          domain: row.subject === undefined ? [] : [DOMAIN_OF.get(row.subject) ?? 'Other'],
          difficulty: row.difficulty === undefined ? [] : [row.difficulty],
          route: [items[i]!.route],
        },
      })),
    );
    return { benchmark: 'mmmu-pro', ...totalsOf(items), breakdown, items, routes, unscorable };
  };
