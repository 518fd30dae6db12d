/**
 * MathVista testmini scoring, docs/evaluation.md §1.2–1.4 (lupantech/MathVista `evaluation/extract_answer.py`,
 * `evaluation/calculate_score.py`):
 *
 * 1. Extraction without an LLM (`extract_answer`, steps 1–5): `""` → `""`; a multiple-choice response
 *    equal to a choice text → itself; integer answers → `str(int(response))`; float answers →
 *    `str(float(response))`; with quick extraction, `The answer is "(.*)"\.` → group 1. Anything
 *    else needs the LLM extractor (`needs-llm`).
 * 2. Normalisation (`normalize_extracted_answer`): multiple choice → strip, first `(x)` letter
 *    uppercased, an option letter (case-sensitive) → its choice text, else the first choice at the
 *    smallest Levenshtein distance (so always a choice text); integer → `str(int(float(e)))`;
 *    float → `str(round(float(e), int(precision)))`; list → `str(e)`; a failure → `None` (`null`).
 * 3. `true_false = prediction == answer` (string equality); accuracy = correct / total; breakdowns over
 *    question_type, answer_type and the metadata keys language, source, category, task, context,
 *    grade and skills (an item counts under every skill it lists).
 *
 * An item is "unparsed" when its extraction is empty (after strip) or its prediction is `null`.
 */
import * as E from 'fp-ts/lib/Either.js';
import { StageError } from '@rlflow/core';
import type { MathVistaExtraction, MathVistaMetadata, MathVistaProblem, MathVistaScoreFile } from '../formats/mathvista.js';
import { pyFloat, pyFloatRepr, pyFormatFixed, pyIntFromFloat, pyIntFromString, pyRound } from '../formats/python-number.js';
import { pyStrip } from '../formats/python-text.js';
import { mostSimilarIndex } from './levenshtein.js';
import { breakdownOf, totalsOf, type BenchmarkScore, type ItemResult } from './result.js';

/** The fields of a problem the scorer reads. */
export type MathVistaScorable = Pick<MathVistaProblem, 'pid' | 'choices' | 'question_type' | 'answer_type' | 'precision' | 'answer'>;

export type MathVistaExtractionStep = 'empty-response' | 'choice-text' | 'integer' | 'float' | 'quick-extract';

export type MathVistaQuickExtraction =
  | { readonly kind: 'extracted'; readonly extraction: string; readonly step: MathVistaExtractionStep }
  | { readonly kind: 'needs-llm' };

const QUICK_EXTRACT = /The answer is "([^\n]*)"\./;

/**
 * `extract_answer` up to the LLM call. `quickExtract` mirrors `--quick_extract` (off in every official
 * script). Python's `.` matches anything but `\n`, hence `[^\n]` (JavaScript's `.` also stops at `\r`,
 * U+2028 and U+2029).
 */
export const extractMathVistaAnswer =
  (problem: Pick<MathVistaProblem, 'question_type' | 'answer_type' | 'choices'>, options: { readonly quickExtract?: boolean } = {}) =>
  (response: string): MathVistaQuickExtraction => {
    if (response === '') return { kind: 'extracted', extraction: '', step: 'empty-response' };
    if (problem.question_type === 'multi_choice' && (problem.choices ?? []).includes(response)) {
      return { kind: 'extracted', extraction: response, step: 'choice-text' };
    }
    if (problem.answer_type === 'integer') {
      const value = pyIntFromString(response);
      if (value !== undefined) return { kind: 'extracted', extraction: value.toString(), step: 'integer' };
    }
    if (problem.answer_type === 'float') {
      const value = pyFloat(response);
      if (value !== undefined) return { kind: 'extracted', extraction: pyFloatRepr(value), step: 'float' };
    }
    if (options.quickExtract === true) {
      const match = QUICK_EXTRACT.exec(response);
      if (match !== null) return { kind: 'extracted', extraction: match[1]!, step: 'quick-extract' };
    }
    return { kind: 'needs-llm' };
  };

/** Python `str(extraction)` for a stored extraction: `None` → `'None'`, an integral number → int repr, else float repr. */
const pyStrExtraction = (extraction: MathVistaExtraction): string =>
  extraction === null ? 'None' : typeof extraction === 'string' ? extraction : Number.isInteger(extraction) ? BigInt(extraction).toString() : pyFloatRepr(extraction);

/** Python `float(extraction)`: a string is parsed, a number is itself, `None` raises. */
const pyFloatOfExtraction = (extraction: MathVistaExtraction): number | undefined =>
  extraction === null ? undefined : typeof extraction === 'number' ? extraction : pyFloat(extraction);

const LETTER = /\(([a-zA-Z])\)/;

/** `normalize_extracted_answer`: the prediction compared with the answer, `null` where Python yields `None`. */
export const normalizeMathVistaExtraction =
  (problem: Pick<MathVistaScorable, 'pid' | 'choices' | 'question_type' | 'answer_type' | 'precision'>) =>
  (extraction: MathVistaExtraction): E.Either<StageError, string | null> => {
    if (problem.question_type === 'multi_choice') {
      const choices = problem.choices;
      if (choices === null || choices.length === 0) {
        return E.left(new StageError('mathvista-normalize', `problem ${problem.pid}.choices`, null, 'empty', 'a multiple-choice problem has no choices'));
      }
      let text = typeof extraction === 'string' ? pyStrip(extraction) : pyStrExtraction(extraction);
      const letter = LETTER.exec(text);
      if (letter !== null) text = letter[1]!.toUpperCase();
      const optionIndex = text.length === 1 ? text.charCodeAt(0) - 65 : -1;
      if (optionIndex >= 0 && optionIndex < choices.length) return E.right(choices[optionIndex]!);
      return E.right(choices[mostSimilarIndex(text, choices)]!);
    }
    switch (problem.answer_type) {
      case 'integer': {
        const value = pyFloatOfExtraction(extraction);
        const truncated = value === undefined ? undefined : pyIntFromFloat(value);
        return E.right(truncated === undefined ? null : truncated.toString());
      }
      case 'float': {
        const value = pyFloatOfExtraction(extraction);
        if (value === undefined || problem.precision === null || !Number.isFinite(problem.precision)) return E.right(null);
        const rounded = pyRound(value, Math.trunc(problem.precision));
        return E.right(rounded === undefined ? null : pyFloatRepr(rounded));
      }
      case 'list':
        return E.right(pyStrExtraction(extraction));
      case 'text':
        return E.left(
          new StageError(
            'mathvista-normalize',
            `problem ${problem.pid}.answer_type`,
            null,
            'invalid',
            'free-form text answers have no official normalisation (calculate_score.py raises UnboundLocalError)',
          ),
        );
    }
  };

export interface MathVistaItemResult extends ItemResult {
  readonly extraction: MathVistaExtraction;
  readonly answer: string;
}

/** Normalises one extraction and compares it with the answer (`safe_equal`). */
export const scoreMathVistaItem =
  (problem: MathVistaScorable) =>
  (extraction: MathVistaExtraction): E.Either<StageError, MathVistaItemResult> =>
    E.map((prediction: string | null) => ({
      id: problem.pid,
      extraction,
      prediction,
      answer: problem.answer,
      correct: prediction !== null && prediction === problem.answer,
      parsed: prediction !== null && !(typeof extraction === 'string' && pyStrip(extraction) === ''),
    }))(normalizeMathVistaExtraction(problem)(extraction));

export const MATHVISTA_BREAKDOWN_KEYS = ['question_type', 'answer_type', 'language', 'source', 'category', 'task', 'context', 'grade', 'skills'] as const;

export interface MathVistaScoringRow extends MathVistaScorable {
  readonly metadata: MathVistaMetadata;
  readonly extraction: MathVistaExtraction;
}

/** Scores every row; the first row that cannot be scored is the error. */
export const scoreMathVista = (rows: readonly MathVistaScoringRow[]): E.Either<StageError, BenchmarkScore<MathVistaItemResult>> => {
  const items: MathVistaItemResult[] = [];
  for (const row of rows) {
    const result = scoreMathVistaItem(row)(row.extraction);
    if (E.isLeft(result)) return result;
    items.push(result.right);
  }
  const breakdown = breakdownOf(
    MATHVISTA_BREAKDOWN_KEYS,
    rows.map((row, i) => ({
      correct: items[i]!.correct,
      groups: {
        question_type: [row.question_type],
        answer_type: [row.answer_type],
        language: [row.metadata.language],
        source: [row.metadata.source],
        category: [row.metadata.category],
        task: [row.metadata.task],
        context: [row.metadata.context],
        grade: [row.metadata.grade],
        skills: row.metadata.skills,
      },
    })),
  );
  return E.right({ benchmark: 'mathvista', ...totalsOf(items), breakdown, items });
};

/**
 * The official score file of a result: `ed0d56d` (the published files: average accuracy
 * `str(round(100·c/t, 2))`, group accuracies `'{:.2f}'` of the percentage) or `head` (fractions).
 */
export const mathVistaScoreFile = (score: BenchmarkScore, style: 'ed0d56d' | 'head' = 'ed0d56d'): MathVistaScoreFile => {
  // round(x, 2) cannot overflow for a percentage; an empty score is 0%.
  const averagePercent = score.total === 0 ? 0 : pyRound((score.correct / score.total) * 100, 2)!;
  const file: Record<string, unknown> = {
    average: { accuracy: style === 'head' ? score.accuracy : pyFloatRepr(averagePercent), correct: score.correct, total: score.total },
  };
  for (const [key, groups] of Object.entries(score.breakdown)) {
    file[key] = Object.fromEntries(
      Object.entries(groups).map(([group, g]) => [
        group,
        { accuracy: style === 'head' ? g.accuracy : pyFormatFixed((g.correct / g.total) * 100, 2), correct: g.correct, total: g.total },
      ]),
    );
  }
  return file as MathVistaScoreFile;
};
