/**
 * `rlflow eval` end to end: read the benchmark, open (or resume) the journal, request every
 * unfinished (item, sample) from the endpoint, and once all have a result, score them with the
 * official scorers, write each sample's official-format output atomically, and a summary with
 * per-sample accuracy, avg@k and pass@k (unbiased estimator, stats/pass-at-k.ts).
 *
 * The official output files are written as soon as every sample has a result, before scoring (as
 * the official inference scripts do); a sample its scorer cannot handle is counted as unparsed and
 * wrong, with a warning naming it, and never fails the run.
 *
 * Files, for `--out DIR/NAME.EXT`: the journal `DIR/NAME.journal.jsonl`, the summary
 * `DIR/NAME.summary.json`, the extraction cache `DIR/rlflow-extract-cache.jsonl`; with one sample
 * the output is `--out` itself, with k > 1 it is `DIR/sample-<s>/NAME.EXT` for s = 0…k−1 (each a
 * complete official file under its official name). LogicVista also gets the results CSV beside
 * each answers file.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { deriveSeed, writeFileAtomic } from '@rlflow/core';
import { loadMmmuProPrompts, type MmmuProMethod, type MmmuProPrompts, type MmmuProSetting } from '../formats/mmmu-pro.js';
import { avgAtK, countsFromFlags, meanPassAtK } from '../stats/pass-at-k.js';
import type { ExtractionCache } from '../llm-extract/cache.js';
import { openJudge } from '../llm-extract/open-judge.js';
import { DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
import type { BenchmarkName } from '../scorers/result.js';
import { loadBenchmark, renderLogicVistaResults, renderOutput, runItems, type BenchmarkData } from './benchmarks.js';
import { createChatClient, validateClientConfig, type ChatClientConfig, type RetryEvent } from './client.js';
import { Journal, JOURNAL_VERSION, sampleKey, type JournalHeader, type SampleEntry } from './journal.js';
import { runSamples, type RunOutcome } from './run.js';
import { scoreRun, type ExtractionMode, type RunScores } from './score-run.js';
import { publicUrl, redactor, type Secret } from './secret.js';

export interface JudgeOptions {
  readonly endpoint: string;
  readonly model: string;
  readonly apiKey?: Secret;
  /** Default `DIR/rlflow-extract-cache.jsonl`. */
  readonly cachePath?: string;
  readonly maxTokens?: number;
}

export interface EvaluateOptions {
  readonly benchmark: BenchmarkName;
  readonly dataPath: string;
  readonly imagesRoot?: string;
  readonly limit?: number;
  readonly mmmuSetting?: MmmuProSetting;
  readonly mmmuMethod?: MmmuProMethod;
  readonly mmmuPromptsPath?: string;
  readonly endpoint: string;
  readonly model: string;
  readonly apiKey?: Secret;
  readonly out: string;
  readonly samples: number;
  readonly temperature?: number;
  readonly maxTokens?: number;
  readonly topP?: number;
  /** Send a per-sample seed derived from `seed` (servers that honour it sample reproducibly). */
  readonly sendSeed?: boolean;
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly backoff?: BackoffPolicy;
  readonly seed: number;
  readonly retryErrors?: boolean;
  readonly judge?: JudgeOptions;
  readonly journalPath?: string;
  readonly summaryPath?: string;
  readonly signal?: AbortSignal;
  /** Progress and notices, one line each (already free of the key). */
  readonly log?: (line: string) => void;
}

export interface EvalSummary {
  readonly benchmark: BenchmarkName;
  readonly setting: string;
  readonly model: string;
  readonly endpoint: string;
  readonly data: string;
  readonly dataSha256: string;
  readonly items: number;
  readonly samples: number;
  readonly temperature: number | null;
  readonly maxTokens: number | null;
  readonly run: { readonly resumed: number; readonly requested: number; readonly journaled: number; readonly duplicatesIgnored: number; readonly tornLineIgnored: boolean };
  readonly errors: { readonly count: number; readonly byKind: Readonly<Record<string, number>>; readonly first: ReadonlyArray<{ readonly id: string; readonly sample: number; readonly kind: string; readonly message: string }> };
  readonly extraction: {
    readonly method: 'rules' | 'llm' | 'official-parser';
    readonly judgeModel: string | null;
    readonly judgeEndpoint: string | null;
    readonly sources: Readonly<Record<string, number>>;
    readonly judgeRequests: number | null;
    readonly cacheHits: number | null;
  };
  readonly accuracyPerSample: readonly number[];
  readonly correctPerSample: readonly number[];
  /** Samples whose answer could not be read, per sample index (unscorable ones included). */
  readonly unparsedPerSample: readonly number[];
  /** Samples the scorer could not handle (scored wrong), with the reason. */
  readonly unscorable: ReadonlyArray<{ readonly id: string; readonly sample: number; readonly reason: string }>;
  readonly avgAtK: number;
  readonly passAtK: Readonly<Record<string, number>>;
  readonly outputs: readonly string[];
  readonly journal: string;
  readonly perItem: ReadonlyArray<{ readonly id: string; readonly correct: readonly boolean[]; readonly predictions: ReadonlyArray<string | null> }>;
}

export type EvaluateResult =
  | { readonly status: 'complete'; readonly summary: EvalSummary; readonly summaryPath: string }
  | { readonly status: 'aborted'; readonly outcome: RunOutcome; readonly journal: string };

const stemOf = (path: string): string => basename(path, extname(path));

export const defaultJournalPath = (out: string): string => join(dirname(out), `${stemOf(out)}.journal.jsonl`);
export const defaultSummaryPath = (out: string): string => join(dirname(out), `${stemOf(out)}.summary.json`);
export const defaultCachePath = (out: string): string => join(dirname(out), 'rlflow-extract-cache.jsonl');

/** The official output file of sample `s` of `k`. */
export const sampleOutputPath = (out: string, s: number, k: number): string => (k === 1 ? out : join(dirname(out), `sample-${s}`, basename(out)));

/** LogicVista's results CSV beside an answers file: `X-answers.json` → `X-accuracy-results.csv`. */
export const logicVistaResultsPath = (answersPath: string): string => {
  const base = basename(answersPath);
  const name = base.endsWith('-answers.json') ? `${base.slice(0, -'-answers.json'.length)}-accuracy-results.csv` : `${stemOf(base)}-accuracy-results.csv`;
  return join(dirname(answersPath), name);
};

/** The model label of LogicVista's CSV columns: `X` of `X-answers.json`, else the model name. */
const logicVistaModelLabel = (answersPath: string, model: string): string => {
  const base = basename(answersPath);
  return (base.endsWith('-answers.json') ? base.slice(0, -'-answers.json'.length) : model).replace(/[,\r\n"]/g, '_');
};

/** k values reported for pass@k: 1, 2, 4, … up to k, and k. */
export const passAtKValues = (k: number): number[] => {
  const values: number[] = [];
  for (let v = 1; v < k; v *= 2) values.push(v);
  values.push(k);
  return values;
};

const metrics = (
  scores: RunScores,
  k: number,
): E.Either<string, Pick<EvalSummary, 'accuracyPerSample' | 'correctPerSample' | 'unparsedPerSample' | 'unscorable' | 'avgAtK' | 'passAtK'>> => {
  const flags = scores.items.map((item) => item.samples.map((sample) => sample.correct));
  const counts = countsFromFlags(flags);
  const avg = avgAtK(counts);
  if (E.isLeft(avg)) return E.left(avg.left.message);
  const passAtK: Record<string, number> = {};
  for (const kk of passAtKValues(k)) {
    const value = meanPassAtK(kk)(counts);
    if (E.isLeft(value)) return E.left(value.left.message);
    passAtK[String(kk)] = value.right;
  }
  const correctPerSample = Array.from({ length: k }, (_, s) => flags.filter((f) => f[s] === true).length);
  const unparsedPerSample = Array.from({ length: k }, (_, s) => scores.items.filter((item) => item.samples[s]?.parsed === false).length);
  return E.right({
    accuracyPerSample: correctPerSample.map((c) => c / flags.length),
    correctPerSample,
    unparsedPerSample,
    unscorable: scores.unscorable,
    avgAtK: avg.right,
    passAtK,
  });
};

const errorSummary = (data: BenchmarkData, entries: ReadonlyMap<string, SampleEntry>, k: number): EvalSummary['errors'] => {
  const failed: SampleEntry[] = [];
  for (const item of data.items) for (let s = 0; s < k; s++) {
    const entry = entries.get(sampleKey(item.id, s));
    if (entry?.status === 'error') failed.push(entry);
  }
  const byKind: Record<string, number> = {};
  for (const entry of failed) byKind[entry.error?.kind ?? 'unknown'] = (byKind[entry.error?.kind ?? 'unknown'] ?? 0) + 1;
  return {
    count: failed.length,
    byKind,
    first: failed.slice(0, 20).map((e) => ({ id: e.id, sample: e.sample, kind: e.error?.kind ?? 'unknown', message: e.error?.message ?? '' })),
  };
};

const sha256File = async (path: string): Promise<string> => createHash('sha256').update(await readFile(path)).digest('hex');

export const evaluateEndpoint = async (options: EvaluateOptions): Promise<E.Either<string, EvaluateResult>> => {
  const log = options.log ?? (() => undefined);
  const scrub = redactor([options.apiKey, options.judge?.apiKey]);
  const k = options.samples;
  if (!Number.isInteger(k) || k < 1) return E.left(`--samples must be a positive integer, found ${k}`);
  if (options.limit !== undefined && (!Number.isInteger(options.limit) || options.limit < 1)) return E.left(`--limit must be a positive integer, found ${options.limit}`);
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) return E.left(`--concurrency must be a positive integer, found ${options.concurrency}`);

  let prompts: MmmuProPrompts | undefined;
  if (options.mmmuPromptsPath !== undefined) {
    const loaded = await loadMmmuProPrompts(options.mmmuPromptsPath);
    if (E.isLeft(loaded)) return E.left(loaded.left.message);
    prompts = loaded.right;
  }
  const loaded = await loadBenchmark({
    benchmark: options.benchmark,
    dataPath: options.dataPath,
    ...(options.imagesRoot === undefined ? {} : { imagesRoot: options.imagesRoot }),
    ...(options.limit === undefined ? {} : { limit: options.limit }),
    ...(options.mmmuSetting === undefined ? {} : { mmmuSetting: options.mmmuSetting }),
    ...(options.mmmuMethod === undefined ? {} : { mmmuMethod: options.mmmuMethod }),
    ...(prompts === undefined ? {} : { mmmuPrompts: prompts }),
  });
  if (E.isLeft(loaded)) return loaded;
  const data = loaded.right;
  if (data.items.length === 0) return E.left(`${options.dataPath} has no items`);

  const clientConfig: ChatClientConfig = {
    baseURL: options.endpoint,
    ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }),
    timeoutMs: options.timeoutMs,
    maxRetries: options.maxRetries,
    backoff: options.backoff ?? DEFAULT_BACKOFF,
    seed: options.seed,
    onRetry: (event: RetryEvent) =>
      log(scrub(`retry ${event.retry + 1} of ${event.key} in ${Math.round(event.delayMs)} ms after ${event.kind}${event.status === null ? '' : ` ${event.status}`}: ${event.message}`)),
  };
  const invalid = validateClientConfig(clientConfig);
  if (invalid !== undefined) return E.left(invalid);
  const client = createChatClient(clientConfig);

  const dataSha256 = await sha256File(options.dataPath);
  const journalPath = options.journalPath ?? defaultJournalPath(options.out);
  const header: JournalHeader = {
    type: 'header',
    version: JOURNAL_VERSION,
    run: {
      benchmark: data.benchmark,
      setting: data.setting,
      model: options.model,
      temperature: options.temperature ?? null,
      maxTokens: options.maxTokens ?? null,
      topP: options.topP ?? null,
      dataSha256,
    },
    endpoint: publicUrl(options.endpoint),
    createdAt: new Date().toISOString(),
  };
  const opened = await Journal.open(journalPath, header, scrub);
  if (E.isLeft(opened)) return E.left(opened.left.message);
  const journal = opened.right;
  if (journal.state.tornBytes > 0) log(`journal: ignored a half-written last line (${journal.state.tornBytes} bytes)`);
  if (journal.state.duplicates > 0) log(`journal: ignored ${journal.state.duplicates} duplicate line(s)`);

  const total = data.items.length * k;
  const step = Math.max(1, Math.floor(total / 20));
  let errors = 0;
  let outcome: RunOutcome;
  try {
    outcome = await runSamples({
      items: runItems(data),
      samples: k,
      client,
      journal,
      sampling: {
        model: options.model,
        ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
        ...(options.maxTokens === undefined ? {} : { maxTokens: options.maxTokens }),
        ...(options.topP === undefined ? {} : { topP: options.topP }),
        ...(options.sendSeed === true ? { seedOf: (id: string, s: number) => deriveSeed(options.seed, `sample:${id}#${s}`) } : {}),
      },
      concurrency: options.concurrency,
      retryErrors: options.retryErrors ?? true,
      scrub,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      onSample: (entry, done) => {
        if (entry.status === 'error') {
          errors += 1;
          log(scrub(`error ${entry.id}#${entry.sample}: ${entry.error?.kind}: ${entry.error?.message}`));
        }
        if (done % step === 0 || done === total) log(`${data.benchmark}: ${done}/${total} samples (${errors} error${errors === 1 ? '' : 's'} this run)`);
      },
    });
  } finally {
    await journal.close();
  }
  if (outcome.aborted) return E.right({ status: 'aborted', outcome, journal: journalPath });
  const entries = journal.entries();

  // The official output files are written before scoring, as the official inference scripts do, so
  // a run whose scoring fails still leaves them; MathVista's is rewritten with the extractions after.
  const writeOutputs = async (scored: RunScores | undefined): Promise<string[]> => {
    const scoredOf = new Map(scored?.items.map((item) => [item.id, item]));
    const outputs: string[] = [];
    for (let s = 0; s < k; s++) {
      const path = sampleOutputPath(options.out, s, k);
      const entryOf = (id: string): SampleEntry | undefined => entries.get(sampleKey(id, s));
      const extractionOf = (id: string): string | undefined => {
        const extraction = scoredOf.get(id)?.samples[s]?.extraction;
        return typeof extraction === 'string' ? extraction : undefined;
      };
      if (scored === undefined || data.benchmark === 'mathvista') await writeFileAtomic(path, scrub(renderOutput(data, entryOf, extractionOf)));
      outputs.push(path);
      if (data.benchmark === 'logicvista' && scored !== undefined) {
        const csvPath = logicVistaResultsPath(path);
        const rowOf = (id: string): { raw: string; extracted: readonly string[] } | undefined => {
          const entry = entryOf(id);
          const extraction = scoredOf.get(id)?.samples[s]?.extraction;
          if (entry === undefined || extraction === undefined || extraction === null || typeof extraction === 'string') return undefined;
          return { raw: entry.status === 'ok' ? (entry.response ?? '') : '', extracted: extraction };
        };
        await writeFileAtomic(csvPath, scrub(renderLogicVistaResults(data, logicVistaModelLabel(path, options.model), rowOf)));
        outputs.push(csvPath);
      }
    }
    return outputs;
  };
  await writeOutputs(undefined);

  let mode: ExtractionMode = { kind: 'rules' };
  let cache: ExtractionCache | undefined;
  if (options.judge !== undefined && data.benchmark !== 'mmmu-pro') {
    const judge = await openJudge({ ...options.judge, cachePath: options.judge.cachePath ?? defaultCachePath(options.out) }, options);
    if (E.isLeft(judge)) return judge;
    cache = judge.right.cache;
    mode = { kind: 'llm', judge: judge.right };
  }
  let scores: E.Either<string, RunScores>;
  try {
    scores = await scoreRun(data, entries, k, mode, { seed: options.seed, concurrency: mode.kind === 'llm' ? options.concurrency : 1 });
  } finally {
    await cache?.close();
  }
  if (E.isLeft(scores)) return scores;
  const scored = scores.right;
  for (const row of scored.unscorable) log(scrub(`warning: ${row.id}#${row.sample} is unscorable, counted as unparsed and wrong: ${row.reason}`));
  const outputs = await writeOutputs(scored);

  const figures = metrics(scored, k);
  if (E.isLeft(figures)) return figures;
  const sources: Record<string, number> = {};
  for (const item of scored.items) for (const sample of item.samples) sources[sample.source] = (sources[sample.source] ?? 0) + 1;
  const summary: EvalSummary = {
    benchmark: data.benchmark,
    setting: data.setting,
    model: options.model,
    endpoint: publicUrl(options.endpoint),
    data: options.dataPath,
    dataSha256,
    items: data.items.length,
    samples: k,
    temperature: options.temperature ?? null,
    maxTokens: options.maxTokens ?? null,
    run: {
      resumed: outcome.resumed,
      requested: outcome.requested,
      journaled: outcome.journaled,
      duplicatesIgnored: journal.state.duplicates,
      tornLineIgnored: journal.state.tornBytes > 0,
    },
    errors: errorSummary(data, entries, k),
    extraction: {
      method: data.benchmark === 'mmmu-pro' ? 'official-parser' : mode.kind,
      judgeModel: mode.kind === 'llm' ? mode.judge.model : null,
      judgeEndpoint: mode.kind === 'llm' && options.judge !== undefined ? publicUrl(options.judge.endpoint) : null,
      sources,
      judgeRequests: scored.judge?.requests ?? null,
      cacheHits: scored.judge?.cacheHits ?? null,
    },
    ...figures.right,
    outputs,
    journal: journalPath,
    perItem: scored.items.map((item) => ({ id: item.id, correct: item.samples.map((s) => s.correct), predictions: item.samples.map((s) => s.prediction) })),
  };
  const summaryPath = options.summaryPath ?? defaultSummaryPath(options.out);
  await writeFileAtomic(summaryPath, scrub(`${JSON.stringify(summary, null, 2)}\n`));
  return E.right({ status: 'complete', summary, summaryPath });
};

/** The end-of-run report for a terminal. */
export const formatSummary = (summary: EvalSummary, summaryPath: string): string => {
  const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;
  const lines = [
    `${summary.benchmark} (${summary.setting}) · ${summary.model} · ${summary.items} items × ${summary.samples} sample${summary.samples === 1 ? '' : 's'}`,
    `  requests this run: ${summary.run.requested} (resumed ${summary.run.resumed} finished samples from the journal)`,
    `  errors: ${summary.errors.count}${summary.errors.count === 0 ? '' : ` (${Object.entries(summary.errors.byKind).map(([kind, n]) => `${kind} ${n}`).join(', ')}; scored as empty responses)`}`,
    `  extraction: ${summary.extraction.method}${summary.extraction.judgeModel === null ? '' : ` (judge ${summary.extraction.judgeModel}: ${summary.extraction.judgeRequests} requests, ${summary.extraction.cacheHits} cached)`}; sources ${Object.entries(summary.extraction.sources).map(([s, n]) => `${s} ${n}`).join(', ')}`,
    `  accuracy per sample: ${summary.accuracyPerSample.map((a, s) => `${summary.correctPerSample[s]}/${summary.items} = ${pct(a)}`).join(', ')}`,
    `  unparsed per sample: ${summary.unparsedPerSample.join(', ')}${summary.unscorable.length === 0 ? '' : ` (${summary.unscorable.length} unscorable: ${summary.unscorable.slice(0, 5).map((u) => `${u.id}#${u.sample}`).join(', ')}${summary.unscorable.length > 5 ? ', …' : ''})`}`,
    `  avg@${summary.samples}: ${pct(summary.avgAtK)}`,
    `  ${Object.entries(summary.passAtK).map(([kk, v]) => `pass@${kk}: ${pct(v)}`).join(', ')}`,
    `  outputs: ${summary.outputs.join(', ')}`,
    `  summary: ${summaryPath}`,
  ];
  return lines.join('\n');
};
