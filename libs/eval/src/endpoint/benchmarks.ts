/**
 * The three benchmarks as an endpoint run sees them: items read from the official data files,
 * the official prompt of each item (docs/evaluation.md §1.1 MathVista `build_query.py` query with the image
 * before the text as in `models/gpt.py`; LogicVista's question, whose options are in the text and
 * the image, image first; MMMU-Pro `infer/infer_gpt.py`: question + lettered options + the
 * `prompts.yaml` suffix, text first then `image_1…image_7`, or the vision suffix and the
 * screenshot), and the official output file of one sample rendered from the journal:
 * MathVista `output_<model>.json` (problem + `query` + `response`, `error` when the request
 * failed), LogicVista `<MODEL>-answers.json` (`{answer, reasoning: "none"}`), MMMU-Pro
 * `<model>_<setting>_<method>.jsonl` (the row without its images, plus `response`, which is
 * `{"error": …}` for a failed request as `infer_gpt.py` writes it).
 */
import { dirname, join } from 'node:path';
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import type { DecodeError } from '@rlflow/core';
import { formatCsv } from '@rlflow/core';
import {
  createMathVistaQuery,
  loadJsonLines,
  loadLogicVistaDataset,
  loadMathVistaProblems,
  logicVistaIds,
  mmmuProOptions,
  mmmuProPrompt,
  MMMU_PRO_PROMPTS,
  type LogicVistaItem,
  type MathVistaProblem,
  type MmmuProMethod,
  type MmmuProPrompts,
  type MmmuProSetting,
} from '../formats/index.js';
import { pyStrip } from '../formats/python-text.js';
import { pythonStringListRepr } from '../formats/python-literal.js';
import { logicVistaMatch, normalizeLogicVistaAnswers } from '../scorers/logicvista.js';
import { BENCHMARK_NAMES, type BenchmarkName } from '../scorers/result.js';
import type { ChatMessage, ContentPart } from './client.js';
import { imageDataUrl } from './image.js';
import type { SampleEntry } from './journal.js';
import type { RunItem } from './run.js';

export const ENDPOINT_BENCHMARKS: readonly BenchmarkName[] = BENCHMARK_NAMES;

/** An MMMU-Pro dataset row with its images as paths under the images root (null or absent: no image). */
export const MmmuProInputRow = t.intersection(
  [
    t.type({ id: t.string, options: t.string, answer: t.string }),
    t.partial({
      question: t.string,
      subject: t.string,
      image: t.union([t.string, t.null]),
      image_1: t.union([t.string, t.null]),
      image_2: t.union([t.string, t.null]),
      image_3: t.union([t.string, t.null]),
      image_4: t.union([t.string, t.null]),
      image_5: t.union([t.string, t.null]),
      image_6: t.union([t.string, t.null]),
      image_7: t.union([t.string, t.null]),
    }),
  ],
  'MmmuProInputRow',
);
export type MmmuProInputRow = t.TypeOf<typeof MmmuProInputRow>;

export type BenchmarkItem =
  | { readonly benchmark: 'mathvista'; readonly id: string; readonly problem: MathVistaProblem; readonly query: string }
  | { readonly benchmark: 'logicvista'; readonly id: string; readonly item: LogicVistaItem }
  | { readonly benchmark: 'mmmu-pro'; readonly id: string; readonly row: MmmuProInputRow; readonly prompt: string; readonly images: readonly string[] };

export interface BenchmarkData {
  readonly benchmark: BenchmarkName;
  /** `mathvista`, `logicvista`, or MMMU-Pro's `<setting>/<method>`. */
  readonly setting: string;
  readonly items: readonly BenchmarkItem[];
  /** Root the items' image paths are resolved (and confined) in. */
  readonly imagesRoot: string;
}

export interface BenchmarkLoadOptions {
  readonly benchmark: BenchmarkName;
  readonly dataPath: string;
  /** Default: the data file's folder (MathVista, MMMU-Pro) or its `images/` sub-folder (LogicVista). */
  readonly imagesRoot?: string;
  readonly limit?: number;
  readonly mmmuSetting?: MmmuProSetting;
  readonly mmmuMethod?: MmmuProMethod;
  readonly mmmuPrompts?: MmmuProPrompts;
}

export const defaultImagesRoot = (benchmark: BenchmarkName, dataPath: string): string =>
  benchmark === 'logicvista' ? join(dirname(dataPath), 'images') : dirname(dataPath);

const take = <A>(xs: readonly A[], limit: number | undefined): readonly A[] => (limit === undefined ? xs : xs.slice(0, limit));

const problemsOf = (errors: readonly string[], source: string): E.Either<string, never> => E.left(`${source}: ${errors.slice(0, 5).join('; ')}${errors.length > 5 ? ` (and ${errors.length - 5} more)` : ''}`);

const decodeMessage = (error: DecodeError): string => error.message;

/** Reads the items of a benchmark (the first `limit` in official order) and builds their prompts. */
export const loadBenchmark = async (options: BenchmarkLoadOptions): Promise<E.Either<string, BenchmarkData>> => {
  const imagesRoot = options.imagesRoot ?? defaultImagesRoot(options.benchmark, options.dataPath);
  switch (options.benchmark) {
    case 'mathvista': {
      const loaded = await loadMathVistaProblems(options.dataPath);
      if (E.isLeft(loaded)) return E.left(decodeMessage(loaded.left));
      const items: BenchmarkItem[] = [];
      const errors: string[] = [];
      for (const [pid, problem] of Object.entries(loaded.right)) {
        const query = problem.query ?? createMathVistaQuery(problem);
        if (typeof query === 'string') items.push({ benchmark: 'mathvista', id: pid, problem, query });
        else if (E.isLeft(query)) errors.push(query.left.message);
        else items.push({ benchmark: 'mathvista', id: pid, problem, query: query.right });
      }
      if (errors.length > 0) return problemsOf(errors, options.dataPath);
      return E.right({ benchmark: 'mathvista', setting: 'mathvista', items: take(items, options.limit), imagesRoot });
    }
    case 'logicvista': {
      const loaded = await loadLogicVistaDataset(options.dataPath);
      if (E.isLeft(loaded)) return E.left(decodeMessage(loaded.left));
      const dataset = loaded.right;
      const items = logicVistaIds(dataset).map((id): BenchmarkItem => ({ benchmark: 'logicvista', id, item: dataset[id]! }));
      return E.right({ benchmark: 'logicvista', setting: 'logicvista', items: take(items, options.limit), imagesRoot });
    }
    case 'mmmu-pro': {
      const setting = options.mmmuSetting ?? 'standard';
      const method = options.mmmuMethod ?? 'cot';
      const loaded = await loadJsonLines(MmmuProInputRow)(options.dataPath);
      if (E.isLeft(loaded)) return E.left(decodeMessage(loaded.left));
      const items: BenchmarkItem[] = [];
      const errors: string[] = [];
      const seen = new Set<string>();
      for (const row of loaded.right) {
        if (seen.has(row.id)) errors.push(`duplicate id ${row.id}`);
        seen.add(row.id);
        const parsed = mmmuProOptions(row);
        if (E.isLeft(parsed)) {
          errors.push(parsed.left.message);
          continue;
        }
        const prompt = mmmuProPrompt(setting, method, { question: row.question ?? '', options: parsed.right }, options.mmmuPrompts ?? MMMU_PRO_PROMPTS);
        items.push({ benchmark: 'mmmu-pro', id: row.id, row, prompt, images: mmmuProImages(setting, row) });
      }
      if (errors.length > 0) return problemsOf(errors, options.dataPath);
      return E.right({ benchmark: 'mmmu-pro', setting: `${setting}/${method}`, items: take(items, options.limit), imagesRoot });
    }
  }
};

/** `origin_mmmu_doc_to_visual` (image_1… up to the first missing one) or `vision_mmmu_doc_to_visual` (`image`). */
export const mmmuProImages = (setting: MmmuProSetting, row: MmmuProInputRow): string[] => {
  if (setting === 'vision') return row.image === undefined || row.image === null || row.image === '' ? [] : [row.image];
  const images: string[] = [];
  for (const key of ['image_1', 'image_2', 'image_3', 'image_4', 'image_5', 'image_6', 'image_7'] as const) {
    const path = row[key];
    if (path === undefined || path === null || path === '') break;
    images.push(path);
  }
  return images;
};

const imageParts = async (root: string, paths: readonly string[]): Promise<E.Either<string, ContentPart[]>> => {
  const parts: ContentPart[] = [];
  for (const path of paths) {
    const url = await imageDataUrl(root, path);
    if (E.isLeft(url)) return url;
    parts.push({ type: 'image_url', image_url: { url: url.right } });
  }
  return E.right(parts);
};

/** The chat messages of an item, images read from `root` when the request is made. */
export const itemMessages = async (item: BenchmarkItem, root: string): Promise<E.Either<string, readonly ChatMessage[]>> => {
  const text = (value: string): ContentPart => ({ type: 'text', text: value });
  const user = (content: readonly ContentPart[]): readonly ChatMessage[] => [{ role: 'user', content }];
  switch (item.benchmark) {
    case 'mathvista':
      return E.map((images: ContentPart[]) => user([...images, text(item.query)]))(await imageParts(root, [item.problem.image]));
    case 'logicvista':
      return E.map((images: ContentPart[]) => user([...images, text(item.item.question)]))(await imageParts(root, [item.item.imagename]));
    case 'mmmu-pro':
      return E.map((images: ContentPart[]) => user([text(item.prompt), ...images]))(await imageParts(root, item.images));
  }
};

export const runItems = (data: BenchmarkData): RunItem[] =>
  data.items.map((item) => ({ id: item.id, messages: () => itemMessages(item, data.imagesRoot) }));

/** The prompt text of an item (what an answer extractor is shown as the question). */
export const itemPromptText = (item: BenchmarkItem): string =>
  item.benchmark === 'mathvista' ? item.query : item.benchmark === 'logicvista' ? item.item.question : item.prompt;

const MATHVISTA_RESULT_KEYS = new Set(['query', 'response', 'extraction', 'prediction', 'true_false', 'error', 'execution']);

/**
 * The official output of one sample. `entryOf(id)` is the journal entry standing for that item's
 * sample (rows without one are left out); `extractionOf(id)` the MathVista extraction to store,
 * so `calculate_score.py` and `rlflow score` can score the file as it is.
 */
export const renderOutput = (
  data: BenchmarkData,
  entryOf: (id: string) => SampleEntry | undefined,
  extractionOf: (id: string) => string | undefined = () => undefined,
): string => {
  switch (data.benchmark) {
    case 'mathvista': {
      const out: Record<string, unknown> = {};
      for (const item of data.items) {
        if (item.benchmark !== 'mathvista') continue;
        const entry = entryOf(item.id);
        if (entry === undefined) continue;
        const problem = Object.fromEntries(Object.entries(item.problem).filter(([key]) => !MATHVISTA_RESULT_KEYS.has(key)));
        const extraction = extractionOf(item.id);
        out[item.id] = {
          ...problem,
          query: item.query,
          // models/gpt.py returns `prediction.strip()`.
          response: entry.status === 'ok' ? pyStrip(entry.response ?? '') : '',
          ...(entry.status === 'error' ? { error: entry.error?.message ?? 'error' } : {}),
          ...(extraction === undefined ? {} : { extraction }),
        };
      }
      return `${JSON.stringify(out, null, 4)}\n`;
    }
    case 'logicvista': {
      const out: Record<string, { answer: string; reasoning: string }> = {};
      for (const item of data.items) {
        const entry = entryOf(item.id);
        if (entry === undefined) continue;
        out[item.id] = { answer: entry.status === 'ok' ? (entry.response ?? '') : '', reasoning: 'none' };
      }
      return `${JSON.stringify(out)}\n`;
    }
    case 'mmmu-pro': {
      const lines: string[] = [];
      for (const item of data.items) {
        if (item.benchmark !== 'mmmu-pro') continue;
        const entry = entryOf(item.id);
        if (entry === undefined) continue;
        const row = Object.fromEntries(
          Object.entries(item.row).filter(([key]) => key !== 'image' && !key.startsWith('image_') && !['response', 'pred_indexs', 'if_right'].includes(key)),
        );
        const response = entry.status === 'ok' ? (entry.response ?? '') : { error: entry.error?.message ?? 'error' };
        lines.push(`${JSON.stringify({ ...row, response })}\n`);
      }
      return lines.join('');
    }
  }
};

/**
 * A LogicVista `<MODEL>-accuracy-results.csv` as `eval/extract_accuracy.py` writes it (pandas index
 * column first; list cells as Python list literals, lowercased and sorted), from this run's
 * extractions, so `rlflow score` and `analyze_accuracy.py` read it.
 */
export const renderLogicVistaResults = (
  data: BenchmarkData,
  model: string,
  rowOf: (id: string) => { readonly raw: string; readonly extracted: readonly string[] } | undefined,
): string => {
  const records: string[][] = [['', 'id', 'reasoning skill', 'capability', 'true answer', `${model} answer extracted`, `${model} answer raw`, 'match?']];
  let index = 0;
  for (const item of data.items) {
    if (item.benchmark !== 'logicvista') continue;
    const row = rowOf(item.id);
    if (row === undefined) continue;
    const capability = item.item.capability ?? item.item.broad_capability ?? [];
    records.push([
      String(index++),
      item.id,
      pythonStringListRepr(item.item.skill),
      pythonStringListRepr(capability),
      pythonStringListRepr(normalizeLogicVistaAnswers(item.item.answer.split(', '))),
      pythonStringListRepr(normalizeLogicVistaAnswers(row.extracted)),
      row.raw,
      logicVistaMatch(item.item.answer)(row.extracted) ? '1' : '0',
    ]);
  }
  return formatCsv(records);
};
