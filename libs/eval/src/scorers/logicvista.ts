/**
 * LogicVista scoring, docs/evaluation.md §2.2 (Yijia-Xiao/LogicVista `eval/extract_accuracy.py`,
 * `eval/analyze_accuracy.py`):
 *
 * 1. `entry = raw.split("ASSISTANT:")[1]` when the raw answer holds `ASSISTANT:`, else `raw`.
 * 2. `answers = [entry.strip()]`; if that is non-empty and a single character that is a letter whose
 *    lowercase is not in `'abcde'`, or neither a letter nor numeric → `['ZZZZZ']`; every other
 *    non-empty entry (a bare `"A"` included) goes to the LLM extractor (GPT-4), an empty one stays `['']`.
 *    `singleLetterRule` (not official) resolves a single letter A–E to itself without the LLM; the
 *    official extraction agreed with it on 434/434 GPT-4 and 446/446 LLaVA-NeXT answers.
 * 3. `truth = answer.split(", ")`; both lists lowercased and sorted (code-point order); match iff equal.
 * 4. Accuracy = Σ match / 448; per skill, rows whose `reasoning skill` cell contains the skill name;
 *    per capability (older CSVs' `capability` column, or the dataset's `broad_capability`), rows whose
 *    cell contains `diagram`, `ocr`, or both (`analyze_accuracy.py`).
 *
 * An item is "unparsed" when its extracted list is `['zzzzz']` (no choice found) or `['']` (empty answer).
 */
import { pyIsAlpha, pyIsNumericNonLetter, pyLen, pyStrip } from '../formats/python-text.js';
import { breakdownOf, totalsOf, type BenchmarkScore, type ItemResult } from './result.js';

/** Step 1: the part of a raw answer the scorer reads. */
export const logicVistaEntry = (raw: string): string => (raw.includes('ASSISTANT:') ? raw.split('ASSISTANT:')[1]! : raw);

export const LOGICVISTA_NO_CHOICE = 'ZZZZZ';

export type LogicVistaPreExtraction =
  | { readonly kind: 'resolved'; readonly answers: readonly string[]; readonly rule: 'empty' | 'invalid-single-character' | 'single-letter' }
  | { readonly kind: 'needs-llm'; readonly entry: string };

/** Steps 1–2 without the LLM. */
export const preExtractLogicVista =
  (options: { readonly singleLetterRule?: boolean } = {}) =>
  (raw: string): LogicVistaPreExtraction => {
    const entry = logicVistaEntry(raw);
    const stripped = pyStrip(entry);
    if (stripped === '') return { kind: 'resolved', answers: [''], rule: 'empty' };
    if (pyLen(stripped) === 1) {
      const alpha = pyIsAlpha(stripped);
      if ((alpha && !'abcde'.includes(stripped.toLowerCase())) || (!alpha && !pyIsNumericNonLetter(stripped))) {
        return { kind: 'resolved', answers: [LOGICVISTA_NO_CHOICE], rule: 'invalid-single-character' };
      }
      if (alpha && options.singleLetterRule === true) return { kind: 'resolved', answers: [stripped], rule: 'single-letter' };
    }
    return { kind: 'needs-llm', entry };
  };

const byCodePoint = (a: string, b: string): number => {
  const x = Array.from(a, (ch) => ch.codePointAt(0)!);
  const y = Array.from(b, (ch) => ch.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
};

/** Python's `sorted(s.lower() for s in items)`. */
export const normalizeLogicVistaAnswers = (items: readonly string[]): string[] => items.map((item) => item.toLowerCase()).sort(byCodePoint);

/** Step 3: the official match — the lowercased, sorted lists are equal (duplicates count). */
export const logicVistaMatch =
  (truthAnswer: string) =>
  (extracted: readonly string[]): boolean => {
    const truth = normalizeLogicVistaAnswers(truthAnswer.split(', '));
    const predicted = normalizeLogicVistaAnswers(extracted);
    return truth.length === predicted.length && truth.every((item, i) => item === predicted[i]);
  };

export const LOGICVISTA_SKILLS = ['inductive', 'deductive', 'numerical', 'spatial', 'mechanical'] as const;

export interface LogicVistaScoringRow {
  readonly id: string;
  /** The dataset answer, e.g. `'B, D'`. */
  readonly truth: string;
  readonly extracted: readonly string[];
  /** The `reasoning skill` text, e.g. `['inductive']` (matched by substring, as `analyze_accuracy.py` does). */
  readonly skillText: string;
  /** The capability text (`['diagram', 'ocr']` or the dataset's `['diagram and ocr']`), when known. */
  readonly capabilityText: string | undefined;
}

export interface LogicVistaItemResult extends ItemResult {
  readonly extracted: readonly string[];
  readonly truth: string;
}

/** No choice found (`['zzzzz']`) or an empty answer (`['']`). */
export const logicVistaUnparsed = (extracted: readonly string[]): boolean => {
  const normalized = normalizeLogicVistaAnswers(extracted);
  return normalized.length === 1 && (normalized[0] === '' || normalized[0] === LOGICVISTA_NO_CHOICE.toLowerCase());
};

/** Step 4: totals, per-skill and per-capability breakdowns. */
export const scoreLogicVista = (rows: readonly LogicVistaScoringRow[]): BenchmarkScore<LogicVistaItemResult> => {
  const items = rows.map(
    (row): LogicVistaItemResult => ({
      id: row.id,
      prediction: normalizeLogicVistaAnswers(row.extracted).join(', '),
      extracted: row.extracted,
      truth: row.truth,
      correct: logicVistaMatch(row.truth)(row.extracted),
      parsed: !logicVistaUnparsed(row.extracted),
    }),
  );
  const capabilities = (text: string | undefined): string[] => {
    if (text === undefined) return [];
    const diagram = text.includes('diagram');
    const ocr = text.includes('ocr');
    return [...(diagram ? ['diagram'] : []), ...(ocr ? ['ocr'] : []), ...(diagram && ocr ? ['diagram and ocr'] : [])];
  };
  const breakdown = breakdownOf(
    ['skill', 'capability'],
    rows.map((row, i) => ({
      correct: items[i]!.correct,
      groups: { skill: LOGICVISTA_SKILLS.filter((skill) => row.skillText.includes(skill)), capability: capabilities(row.capabilityText) },
    })),
  );
  return { benchmark: 'logicvista', ...totalsOf(items), breakdown, items };
};
