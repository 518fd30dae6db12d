/**
 * Scoring the samples of an endpoint run with the official scorers (scorers/), each sample the way
 * its official output file would be scored: MathVista extraction (the official deterministic
 * steps, then rlflow's rules or an LLM judge, llm-extract/) → `normalize_extracted_answer` →
 * string equality; LogicVista extraction (the official pre-LLM rules, then rules or the judge) →
 * lowercased sorted letter lists equal; MMMU-Pro `parse_multi_choice_response` with the random
 * fallback seeded per item. A sample whose request failed is scored as its file row reads: an
 * empty response (MathVista, LogicVista) or `{"error": …}`, i.e. `''` (MMMU-Pro); it is also
 * counted as an error in the summary. A sample its scorer cannot handle (the official scorer would
 * raise, e.g. MMMU-Pro `validation_Accounting_29`, whose one option is a list, on a reply with no
 * letter) is scored wrong and unparsed, with source `unscorable`, and listed with the reason; it
 * never fails the run. Per item, the k sample verdicts feed avg@k and pass@k.
 */
import * as E from 'fp-ts/lib/Either.js';
import { pyStrip } from '../formats/python-text.js';
import { mmmuProOptions } from '../formats/mmmu-pro.js';
import { scoreMathVistaItem } from '../scorers/mathvista.js';
import { logicVistaMatch, logicVistaUnparsed, normalizeLogicVistaAnswers } from '../scorers/logicvista.js';
import { mmmuProRandomLetter, parseMmmuProResponse, unscorableReason } from '../scorers/mmmu-pro.js';
import { llmExtractLogicVista, llmExtractMathVista, newJudgeCounters, type Judge, type JudgeCounters } from '../llm-extract/extract.js';
import { ruleExtractLogicVista, ruleExtractMathVista } from '../llm-extract/rules.js';
import type { BenchmarkData, BenchmarkItem } from './benchmarks.js';
import { sampleKey, type SampleEntry } from './journal.js';
import { forEachBounded } from './pool.js';

export type ExtractionMode = { readonly kind: 'rules' } | { readonly kind: 'llm'; readonly judge: Judge };

export interface ScoredSample {
  readonly correct: boolean;
  /** The normalised prediction (MathVista choice text or value, LogicVista `a, c`, MMMU-Pro letter). */
  readonly prediction: string | null;
  /** MathVista extraction string, LogicVista extracted letters; null for MMMU-Pro. */
  readonly extraction: string | readonly string[] | null;
  /**
   * Where the extraction came from (`official`, `rule`, `none`, `llm`, `cache`, `llm-error`), the
   * MMMU-Pro parser route, or `unscorable` when the scorer could not handle the sample.
   */
  readonly source: string;
  /** False when no answer could be read (the benchmark's "unparsed", scorers/), or the sample is unscorable. */
  readonly parsed: boolean;
  /** The request failed; scored as an empty response. */
  readonly requestFailed: boolean;
}

export interface ScoredItem {
  readonly id: string;
  readonly samples: readonly ScoredSample[];
}

/** A sample the scorer could not handle, and why. */
export interface UnscorableSample {
  readonly id: string;
  readonly sample: number;
  readonly reason: string;
}

export interface RunScores {
  readonly items: readonly ScoredItem[];
  readonly judge: JudgeCounters | null;
  /** The samples scored `unscorable`, item-major. */
  readonly unscorable: readonly UnscorableSample[];
}

/** What a sample's row in the official file says the model answered. */
const responseText = (entry: SampleEntry): string => (entry.status === 'ok' ? (entry.response ?? '') : '');

/** Why a sample is unscorable, with the extraction made before the scorer gave up (MathVista). */
interface Unscorable {
  readonly reason: string;
  readonly extraction: string | null;
}

const scoreOne = async (
  item: BenchmarkItem,
  entry: SampleEntry,
  mode: ExtractionMode,
  counters: JudgeCounters,
  seed: number,
): Promise<E.Either<Unscorable, ScoredSample>> => {
  const requestFailed = entry.status !== 'ok';
  switch (item.benchmark) {
    case 'mathvista': {
      // The output file holds the stripped response (models/gpt.py); extraction reads that.
      const response = pyStrip(responseText(entry));
      const extracted =
        mode.kind === 'llm'
          ? await llmExtractMathVista(mode.judge, counters)(item.problem, item.query, response)
          : ruleExtractMathVista(item.problem)(response);
      const scored = scoreMathVistaItem(item.problem)(extracted.value);
      if (E.isLeft(scored)) return E.left({ reason: unscorableReason(scored.left), extraction: extracted.value });
      return E.right({
        correct: scored.right.correct,
        prediction: scored.right.prediction,
        extraction: extracted.value,
        source: extracted.source,
        parsed: scored.right.parsed,
        requestFailed,
      });
    }
    case 'logicvista': {
      const raw = responseText(entry);
      const extracted = mode.kind === 'llm' ? await llmExtractLogicVista(mode.judge, counters)(item.id, item.item.question, raw) : ruleExtractLogicVista(raw);
      return E.right({
        correct: logicVistaMatch(item.item.answer)(extracted.value),
        prediction: normalizeLogicVistaAnswers(extracted.value).join(', '),
        extraction: extracted.value,
        source: extracted.source,
        parsed: !logicVistaUnparsed(extracted.value),
        requestFailed,
      });
    }
    case 'mmmu-pro': {
      const options = mmmuProOptions(item.row);
      if (E.isLeft(options)) return E.left({ reason: options.left.message, extraction: null });
      const parsed = parseMmmuProResponse(options.right)(responseText(entry));
      if (E.isLeft(parsed)) return E.left({ reason: unscorableReason(parsed.left), extraction: null });
      const random = parsed.right.route === 'random';
      const letter = random ? mmmuProRandomLetter(seed, item.id, options.right.length) : parsed.right.letter;
      return E.right({ correct: letter === item.row.answer, prediction: letter, extraction: null, source: parsed.right.route, parsed: !random, requestFailed });
    }
  }
};

/**
 * Scores samples 0…k−1 of every item; every one must have a journal entry. A sample the scorer
 * cannot handle is scored wrong and unparsed (source `unscorable`) and listed in `unscorable`.
 */
export const scoreRun = async (
  data: BenchmarkData,
  entries: ReadonlyMap<string, SampleEntry>,
  samples: number,
  mode: ExtractionMode,
  options: { readonly seed?: number; readonly concurrency?: number } = {},
): Promise<E.Either<string, RunScores>> => {
  const missing = data.items.flatMap((item) => Array.from({ length: samples }, (_, s) => sampleKey(item.id, s))).filter((key) => !entries.has(key));
  if (missing.length > 0) return E.left(`${missing.length} sample(s) have no result yet (first: ${missing[0]})`);
  const counters = newJudgeCounters();
  const grid: ScoredSample[][] = data.items.map(() => new Array<ScoredSample>(samples));
  const reasons: (string | undefined)[][] = data.items.map(() => Array.from({ length: samples }, (): string | undefined => undefined));
  const tasks = data.items.flatMap((item, i) => Array.from({ length: samples }, (_, s) => ({ item, i, s })));
  await forEachBounded(tasks, options.concurrency ?? 1, async ({ item, i, s }) => {
    const entry = entries.get(sampleKey(item.id, s))!;
    const scored = await scoreOne(item, entry, mode, counters, options.seed ?? 0);
    if (E.isRight(scored)) grid[i]![s] = scored.right;
    else {
      reasons[i]![s] = scored.left.reason;
      grid[i]![s] = { correct: false, prediction: null, extraction: scored.left.extraction, source: 'unscorable', parsed: false, requestFailed: entry.status !== 'ok' };
    }
  });
  const unscorable = data.items.flatMap((item, i) => reasons[i]!.flatMap((reason, s) => (reason === undefined ? [] : [{ id: item.id, sample: s, reason }])));
  return E.right({ items: data.items.map((item, i) => ({ id: item.id, samples: grid[i]! })), judge: mode.kind === 'llm' ? counters : null, unscorable });
};
