/**
 * `rlflow eval --measure-extraction FILE`: runs an extractor (rlflow's rules, or the LLM judge
 * when one is given) over a published results file and reports its agreement with the official
 * extractions stored there (agreement.ts). The judge goes through the extraction cache, so a
 * repeated measurement makes no request.
 */
import * as E from 'fp-ts/lib/Either.js';
import { loadLogicVistaDataset, loadLogicVistaResults } from '../formats/logicvista.js';
import { loadMathVistaOutput } from '../formats/mathvista.js';
import type { BackoffPolicy } from '../endpoint/backoff.js';
import type { Secret } from '../endpoint/secret.js';
import { logicVistaAgreement, mathVistaAgreement, type AgreementReport, type LogicVistaExtractFn, type MathVistaExtractFn } from './agreement.js';
import type { ExtractionCache } from './cache.js';
import { openJudge } from './open-judge.js';
import { llmExtractLogicVista, llmExtractMathVista, newJudgeCounters, type Judge, type JudgeCounters } from './extract.js';
import { ruleExtractLogicVista, ruleExtractMathVista } from './rules.js';

export interface MeasureOptions {
  readonly benchmark: 'mathvista' | 'logicvista';
  /** MathVista `output_<model>.json`, or LogicVista `<MODEL>-accuracy-results.csv`. */
  readonly file: string;
  /** LogicVista `dataset.json` (the questions). */
  readonly dataPath?: string;
  readonly judge?: {
    readonly endpoint: string;
    readonly model: string;
    readonly apiKey?: Secret;
    readonly cachePath: string;
    readonly maxTokens?: number;
  };
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly backoff?: BackoffPolicy;
  readonly seed: number;
  /** Only the first N rows. */
  readonly limit?: number;
  readonly signal?: AbortSignal;
}

export interface MeasureResult {
  readonly report: AgreementReport;
  readonly judge: (JudgeCounters & { readonly model: string }) | null;
}

const take = <A>(rows: readonly A[], limit: number | undefined): readonly A[] => (limit === undefined ? rows : rows.slice(0, limit));

export const measureExtraction = async (options: MeasureOptions): Promise<E.Either<string, MeasureResult>> => {
  const counters = newJudgeCounters();
  let cache: ExtractionCache | undefined;
  let judge: Judge | undefined;
  if (options.judge !== undefined) {
    const opened = await openJudge(options.judge, options);
    if (E.isLeft(opened)) return opened;
    judge = opened.right;
    cache = judge.cache;
  }
  const extractor = judge === undefined ? 'rules' : `llm:${judge.model}`;
  const common = { concurrency: options.concurrency, ...(options.signal === undefined ? {} : { signal: options.signal }) };
  try {
    let report: E.Either<string, AgreementReport>;
    if (options.benchmark === 'mathvista') {
      const loaded = await loadMathVistaOutput(options.file);
      if (E.isLeft(loaded)) return E.left(loaded.left.message);
      const rows = take(Object.values(loaded.right), options.limit);
      const withoutExtraction = rows.filter((row) => row.extraction === undefined).map((row) => row.pid);
      if (withoutExtraction.length > 0) return E.left(`${options.file}: ${withoutExtraction.length} row(s) have no stored extraction to compare with (first: ${withoutExtraction[0]})`);
      const extract: MathVistaExtractFn =
        judge === undefined
          ? async (row) => ruleExtractMathVista(row)(row.response)
          : async (row, query) => llmExtractMathVista(judge, counters)(row, query, row.response);
      report = await mathVistaAgreement(options.file, rows, extractor, extract, common);
    } else {
      if (options.dataPath === undefined) return E.left('LogicVista agreement needs --data dataset.json (the questions)');
      const [results, dataset] = await Promise.all([loadLogicVistaResults(options.file), loadLogicVistaDataset(options.dataPath)]);
      if (E.isLeft(results)) return E.left(results.left.message);
      if (E.isLeft(dataset)) return E.left(dataset.left.message);
      const extract: LogicVistaExtractFn =
        judge === undefined
          ? async (_id, _question, raw) => ruleExtractLogicVista(raw)
          : async (id, question, raw) => llmExtractLogicVista(judge, counters)(id, question, raw);
      report = await logicVistaAgreement(options.file, take(results.right.rows, options.limit), dataset.right, extractor, extract, common);
    }
    if (E.isLeft(report)) return report;
    return E.right({ report: report.right, judge: judge === undefined ? null : { ...counters, model: judge.model } });
  } finally {
    await cache?.close();
  }
};
