/**
 * Agreement of an answer extractor with the official (LLM) extractions stored in published
 * results: MathVista `output_<model>.json` (`extraction` per row) and LogicVista
 * `<MODEL>-accuracy-results.csv` (the `answer extracted` column). Three rates, each agree / rows:
 * - extraction: MathVista the stripped extraction strings are equal; LogicVista the lowercased,
 *   sorted letter lists are equal (what the official match compares);
 * - prediction: MathVista the normalised predictions (`normalize_extracted_answer`) are equal;
 *   LogicVista the same as extraction;
 * - verdict: right/wrong is the same as with the stored extraction.
 * and the accuracy each extraction gives.
 */
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { LogicVistaDataset, LogicVistaResultRow, MathVistaOutputRow } from '../formats/index.js';
import { createMathVistaQuery } from '../formats/mathvista.js';
import { pyStrip } from '../formats/python-text.js';
import { forEachBounded } from '../endpoint/pool.js';
import { logicVistaMatch, normalizeLogicVistaAnswers } from '../scorers/logicvista.js';
import { normalizeMathVistaExtraction } from '../scorers/mathvista.js';

export interface Rate {
  readonly agree: number;
  readonly total: number;
  readonly rate: number;
}

export interface Disagreement {
  readonly id: string;
  readonly stored: string;
  readonly ours: string;
  readonly source: string;
}

export interface AgreementReport {
  readonly benchmark: 'mathvista' | 'logicvista';
  readonly file: string;
  /** `rules` or `llm:<judge model>`. */
  readonly extractor: string;
  readonly rows: number;
  readonly extraction: Rate;
  readonly prediction: Rate;
  readonly verdict: Rate;
  readonly accuracy: { readonly stored: number; readonly ours: number };
  /** Rows and extraction agreement per extraction source (official step, rule, judge, cache…). */
  readonly bySource: Readonly<Record<string, Rate>>;
  /** The first disagreements, for inspection. */
  readonly disagreements: readonly Disagreement[];
}

const rate = (agree: number, total: number): Rate => ({ agree, total, rate: total === 0 ? 0 : agree / total });

interface Compared {
  readonly id: string;
  readonly source: string;
  readonly extractionAgrees: boolean;
  readonly predictionAgrees: boolean;
  readonly storedCorrect: boolean;
  readonly oursCorrect: boolean;
  readonly stored: string;
  readonly ours: string;
}

const report = (benchmark: 'mathvista' | 'logicvista', file: string, extractor: string, compared: readonly Compared[], keep: number): AgreementReport => {
  const sources = new Map<string, { agree: number; total: number }>();
  for (const c of compared) {
    const s = sources.get(c.source) ?? { agree: 0, total: 0 };
    s.total += 1;
    if (c.extractionAgrees) s.agree += 1;
    sources.set(c.source, s);
  }
  const n = compared.length;
  return {
    benchmark,
    file,
    extractor,
    rows: n,
    extraction: rate(compared.filter((c) => c.extractionAgrees).length, n),
    prediction: rate(compared.filter((c) => c.predictionAgrees).length, n),
    verdict: rate(compared.filter((c) => c.storedCorrect === c.oursCorrect).length, n),
    accuracy: { stored: compared.filter((c) => c.storedCorrect).length, ours: compared.filter((c) => c.oursCorrect).length },
    bySource: Object.fromEntries([...sources].sort(([a], [b]) => a.localeCompare(b)).map(([source, s]) => [source, rate(s.agree, s.total)])),
    disagreements: compared
      .filter((c) => !c.extractionAgrees)
      .slice(0, keep)
      .map(({ id, stored, ours, source }) => ({ id, stored, ours, source })),
  };
};

export type MathVistaExtractFn = (row: MathVistaOutputRow, query: string) => Promise<{ readonly value: string; readonly source: string }>;
export type LogicVistaExtractFn = (id: string, question: string, raw: string) => Promise<{ readonly value: readonly string[]; readonly source: string }>;

export interface AgreementOptions {
  readonly concurrency?: number;
  /** How many disagreements to list (default 20). */
  readonly keep?: number;
  readonly signal?: AbortSignal;
}

const pyStrStored = (value: string | number | null | undefined): string =>
  value === null || value === undefined ? '' : typeof value === 'string' ? value : String(value);

/** MathVista: `rows` of a published output file (each with its stored `extraction`). */
export const mathVistaAgreement = async (
  file: string,
  rows: readonly MathVistaOutputRow[],
  extractor: string,
  extract: MathVistaExtractFn,
  options: AgreementOptions = {},
): Promise<E.Either<string, AgreementReport>> => {
  const compared: Array<Compared | undefined> = new Array(rows.length);
  let problem: string | undefined;
  await forEachBounded(
    rows,
    options.concurrency ?? 1,
    async (row, index) => {
      const query = row.query ?? pipe(createMathVistaQuery(row), E.getOrElseW(() => row.question));
      const ours = await extract(row, query);
      const stored = row.extraction ?? '';
      const normalize = normalizeMathVistaExtraction(row);
      const oursPrediction = normalize(ours.value);
      const storedPrediction = normalize(stored);
      if (E.isLeft(oursPrediction) || E.isLeft(storedPrediction)) {
        problem ??= `row ${row.pid}: ${E.isLeft(oursPrediction) ? oursPrediction.left.message : E.isLeft(storedPrediction) ? storedPrediction.left.message : ''}`;
        return;
      }
      compared[index] = {
        id: row.pid,
        source: ours.source,
        extractionAgrees: pyStrip(ours.value) === pyStrip(pyStrStored(stored)),
        predictionAgrees: oursPrediction.right === storedPrediction.right,
        storedCorrect: storedPrediction.right !== null && storedPrediction.right === row.answer,
        oursCorrect: oursPrediction.right !== null && oursPrediction.right === row.answer,
        stored: pyStrStored(stored),
        ours: ours.value,
      };
    },
    options.signal,
  );
  if (problem !== undefined) return E.left(problem);
  const done = compared.filter((c): c is Compared => c !== undefined);
  if (done.length !== rows.length) return E.left(`stopped after ${done.length} of ${rows.length} rows`);
  return E.right(report('mathvista', file, extractor, done, options.keep ?? 20));
};

/** LogicVista: `rows` of an official results CSV, questions from the dataset. */
export const logicVistaAgreement = async (
  file: string,
  rows: readonly LogicVistaResultRow[],
  dataset: LogicVistaDataset,
  extractor: string,
  extract: LogicVistaExtractFn,
  options: AgreementOptions = {},
): Promise<E.Either<string, AgreementReport>> => {
  const missing = rows.filter((row) => dataset[row.id] === undefined).map((row) => row.id);
  if (missing.length > 0) return E.left(`ids not in the dataset: ${missing.slice(0, 5).join(', ')}`);
  const compared: Array<Compared | undefined> = new Array(rows.length);
  await forEachBounded(
    rows,
    options.concurrency ?? 1,
    async (row, index) => {
      const item = dataset[row.id]!;
      const ours = await extract(row.id, item.question, row.raw);
      const oursText = normalizeLogicVistaAnswers(ours.value).join(', ');
      const storedText = normalizeLogicVistaAnswers(row.extracted).join(', ');
      const same = oursText === storedText && ours.value.length === row.extracted.length;
      compared[index] = {
        id: row.id,
        source: ours.source,
        extractionAgrees: same,
        predictionAgrees: same,
        storedCorrect: logicVistaMatch(item.answer)(row.extracted),
        oursCorrect: logicVistaMatch(item.answer)(ours.value),
        stored: storedText,
        ours: oursText,
      };
    },
    options.signal,
  );
  const done = compared.filter((c): c is Compared => c !== undefined);
  if (done.length !== rows.length) return E.left(`stopped after ${done.length} of ${rows.length} rows`);
  return E.right(report('logicvista', file, extractor, done, options.keep ?? 20));
};

/** A few lines for a terminal. */
export const formatAgreement = (r: AgreementReport): string => {
  const pct = (x: Rate): string => `${x.agree}/${x.total} = ${(100 * x.rate).toFixed(2)}%`;
  return [
    `${r.benchmark} ${r.file} (${r.extractor}), ${r.rows} rows`,
    `  extraction agreement: ${pct(r.extraction)}`,
    `  prediction agreement: ${pct(r.prediction)}`,
    `  verdict agreement:    ${pct(r.verdict)}`,
    `  correct: ${r.accuracy.ours} with this extractor, ${r.accuracy.stored} with the stored extractions`,
    ...Object.entries(r.bySource).map(([source, x]) => `  source ${source}: ${x.total} rows, ${pct(x)} extraction agreement`),
  ].join('\n');
};
