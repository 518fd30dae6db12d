/**
 * Re-scoring the official output files (docs/evaluation.md, "Published figures to reproduce"): a MathVista
 * `output_*.json` from each row's stored `extraction`, a LogicVista `*-accuracy-results.csv` from its
 * extracted column against `dataset.json`, an MMMU-Pro output `.jsonl` from each row's `response`.
 * Each result carries how many rows agree with the verdict stored in the file (`true_false`,
 * `match?`, `if_right`) and, for MMMU-Pro, with the stored `pred_indexs`.
 */
import * as E from 'fp-ts/lib/Either.js';
import { DecodeError, type StageError } from '@rlflow/core';
import { loadMathVistaOutput } from '../formats/mathvista.js';
import { loadLogicVistaDataset, loadLogicVistaResults } from '../formats/logicvista.js';
import { loadMmmuProOutput, MMMU_PRO_ITEMS, mmmuProOptions, mmmuProVerdictValue } from '../formats/mmmu-pro.js';
import { pythonStringListRepr, type PyLiteral } from '../formats/python-literal.js';
import { scoreMathVista, type MathVistaItemResult } from './mathvista.js';
import { scoreLogicVista, type LogicVistaItemResult } from './logicvista.js';
import { scoreMmmuPro, type MmmuProItemResult, type MmmuProScore, type MmmuProScoreOptions } from './mmmu-pro.js';
import type { BenchmarkScore } from './result.js';

export interface Agreement {
  /** Rows whose recomputed value equals the stored one. */
  readonly agree: number;
  /** Rows that store a value to compare with. */
  readonly compared: number;
  /** Ids of the rows that disagree. */
  readonly disagreeing: readonly string[];
}

export interface FileScore<S extends BenchmarkScore> {
  readonly score: S;
  /** Recomputed correct/incorrect against the stored verdict of each row. */
  readonly verdicts: Agreement;
  /** Recomputed prediction against the stored one (MMMU-Pro `pred_indexs`, rows that reach the random fallback left out). */
  readonly predictions?: Agreement;
  /** Problems that do not stop scoring but should be shown (e.g. an MMMU-Pro file that is not 1730 rows). */
  readonly warnings: readonly string[];
}

const agreement = (pairs: ReadonlyArray<{ readonly id: string; readonly stored: unknown; readonly computed: unknown }>): Agreement => {
  const compared = pairs.filter((p) => p.stored !== undefined);
  const disagreeing = compared.filter((p) => p.stored !== p.computed).map((p) => p.id);
  return { agree: compared.length - disagreeing.length, compared: compared.length, disagreeing };
};

export type ScoreFileError = DecodeError | StageError;

/**
 * Scores a MathVista `output_*.json` from its stored extractions; a row without an `extraction` is an
 * error. Any subset of testmini is scored over its rows, as `calculate_score.py` does (it iterates
 * the keys of the file it is given).
 */
export const scoreMathVistaOutputFile = async (path: string): Promise<E.Either<ScoreFileError, FileScore<BenchmarkScore<MathVistaItemResult>>>> => {
  const loaded = await loadMathVistaOutput(path);
  if (E.isLeft(loaded)) return loaded;
  const rows = Object.values(loaded.right);
  const missing = rows.filter((row) => row.extraction === undefined).map((row) => row.pid);
  if (missing.length > 0) {
    return E.left(
      new DecodeError(path, [`${missing.length} row(s) have no extraction (pids ${missing.slice(0, 5).join(', ')}); extract answers first (rlflow eval)`]),
    );
  }
  const scored = scoreMathVista(rows.map((row) => ({ ...row, extraction: row.extraction ?? null })));
  if (E.isLeft(scored)) return scored;
  return E.right({
    score: scored.right,
    verdicts: agreement(scored.right.items.map((item, i) => ({ id: item.id, stored: rows[i]!.true_false, computed: item.correct }))),
    warnings: [],
  });
};

/** Scores a LogicVista results CSV's extracted column against `dataset.json` (answers, and skill/capability when the CSV lacks them). */
export const scoreLogicVistaResultsFile = async (
  csvPath: string,
  datasetPath: string,
): Promise<E.Either<ScoreFileError, FileScore<BenchmarkScore<LogicVistaItemResult>>>> => {
  const [results, dataset] = await Promise.all([loadLogicVistaResults(csvPath), loadLogicVistaDataset(datasetPath)]);
  if (E.isLeft(results)) return results;
  if (E.isLeft(dataset)) return dataset;
  const unknown = results.right.rows.filter((row) => !Object.hasOwn(dataset.right, row.id)).map((row) => row.id);
  if (unknown.length > 0) {
    return E.left(new DecodeError(csvPath, [`ids not in ${datasetPath}: ${unknown.slice(0, 5).join(', ')}`]));
  }
  const score = scoreLogicVista(
    results.right.rows.map((row) => {
      const item = dataset.right[row.id]!;
      return {
        id: row.id,
        truth: item.answer,
        extracted: row.extracted,
        skillText: row.skillCell,
        capabilityText: row.capabilityCell ?? (item.broad_capability === undefined ? undefined : pythonStringListRepr(item.broad_capability)),
      };
    }),
  );
  // A CSV of a subset of the dataset's items is scored over its rows. The official analyze_accuracy.py
  // divides by 448 whatever the file holds, so on a subset its total is not the subset's accuracy.
  const expectedCount = Object.keys(dataset.right).length;
  return E.right({
    score,
    verdicts: agreement(score.items.map((item, i) => ({ id: item.id, stored: results.right.rows[i]!.match === 1, computed: item.correct }))),
    warnings:
      results.right.rows.length === expectedCount
        ? []
        : [`${csvPath} has ${results.right.rows.length} of the ${expectedCount} items of ${datasetPath}; accuracy is over its rows (analyze_accuracy.py divides by 448)`],
  });
};

/** Scores an MMMU-Pro output `.jsonl` with the official parser (random fallback per `options`). */
export const scoreMmmuProOutputFile = async (
  path: string,
  options: MmmuProScoreOptions = {},
): Promise<E.Either<ScoreFileError, FileScore<MmmuProScore>>> => {
  const loaded = await loadMmmuProOutput(path);
  if (E.isLeft(loaded)) return loaded;
  const rows: Array<{ id: string; options: PyLiteral[]; answer: string; response: string; subject?: string; difficulty?: string; storedPrediction?: string }> = [];
  for (const row of loaded.right) {
    const parsedOptions = mmmuProOptions(row);
    if (E.isLeft(parsedOptions)) return parsedOptions;
    rows.push({
      id: row.id,
      options: parsedOptions.right,
      answer: row.answer,
      response: typeof row.response === 'string' ? row.response : '',
      ...(row.subject === undefined ? {} : { subject: row.subject }),
      ...(row.topic_difficulty === undefined ? {} : { difficulty: row.topic_difficulty }),
      ...(row.pred_indexs === undefined ? {} : { storedPrediction: row.pred_indexs }),
    });
  }
  const score = scoreMmmuPro(options)(rows);
  const items: readonly MmmuProItemResult[] = score.items;
  return E.right({
    score,
    verdicts: agreement(
      items.map((item, i) => {
        const stored = loaded.right[i]!.if_right;
        return { id: item.id, stored: stored === undefined ? undefined : mmmuProVerdictValue(stored), computed: item.correct };
      }),
    ),
    predictions: agreement(
      items.flatMap((item, i) => (item.route === 'random' ? [] : [{ id: item.id, stored: rows[i]!.storedPrediction, computed: item.prediction }])),
    ),
    // The official check_files skips a file that is not all 1730 rows; rlflow scores a subset over its rows and says so.
    warnings: [
      ...(loaded.right.length === MMMU_PRO_ITEMS
        ? []
        : [`${path} has ${loaded.right.length} rows; evaluate.py::check_files skips files that do not have ${MMMU_PRO_ITEMS} (scored here over these rows)`]),
      ...score.unscorable.map((row) => `row ${row.id} is unscorable, counted as unparsed and wrong: ${row.reason}`),
    ],
  });
};
