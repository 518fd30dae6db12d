/**
 * `rlflow eval`: evaluates a vision-language model served behind an OpenAI-compatible API (vLLM,
 * SGLang, Ollama, OpenAI) on MathVista, LogicVista or MMMU-Pro with the official prompts, and
 * writes the benchmark's official output files, a resumable journal and a summary (accuracy per
 * sample, avg@k, pass@k). Re-running the same command resumes: finished samples are not requested
 * again. The API key is read from OPENAI_API_KEY or RLFLOW_API_KEY (the judge's from
 * RLFLOW_JUDGE_API_KEY, else the same) and never written anywhere.
 *
 * `rlflow eval --measure-extraction FILE` instead measures an answer extractor (rules, or the
 * judge) against the official extractions stored in a published results file.
 */
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import * as E from 'fp-ts/lib/Either.js';
import { writeFileAtomic } from '@rlflow/core';
import {
  BENCHMARK_NAMES,
  DEFAULT_BACKOFF,
  defaultCachePath,
  evaluateEndpoint,
  formatAgreement,
  formatSummary,
  isBenchmarkName,
  measureExtraction,
  readApiKey,
  redactor,
  type BackoffPolicy,
  type Secret,
} from '@rlflow/eval';
import { UsageError } from '../main.js';
import type { RegisterCommand } from './index.js';

interface EvalOptions {
  readonly benchmark?: string;
  readonly data?: string;
  readonly images?: string;
  readonly endpoint?: string;
  readonly model?: string;
  readonly out?: string;
  readonly samples: string;
  readonly temperature?: string;
  readonly maxTokens?: string;
  readonly topP?: string;
  readonly concurrency: string;
  readonly timeoutMs: string;
  readonly maxRetries: string;
  readonly backoffBaseMs: string;
  readonly backoffMaxMs: string;
  readonly maxRetryAfterMs: string;
  readonly seed: string;
  readonly sendSeed?: boolean;
  readonly limit?: string;
  readonly setting: string;
  readonly method: string;
  readonly prompts?: string;
  readonly judgeModel?: string;
  readonly judgeEndpoint?: string;
  readonly judgeMaxTokens?: string;
  readonly extractCache?: string;
  readonly keepErrors?: boolean;
  readonly journal?: string;
  readonly summary?: string;
  readonly measureExtraction?: string;
  readonly json?: boolean;
}

const integer = (flag: string, value: string, min: number): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min) throw new UsageError(`${flag} must be an integer ≥ ${min}, got ${JSON.stringify(value)}`);
  return n;
};

const finite = (flag: string, value: string, min: number, max: number): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new UsageError(`${flag} must be a number in [${min}, ${max}], got ${JSON.stringify(value)}`);
  return n;
};

const optional = <A>(value: string | undefined, parse: (v: string) => A): A | undefined => (value === undefined ? undefined : parse(value));

const required = (flag: string, value: string | undefined): string => {
  if (value === undefined || value === '') throw new UsageError(`${flag} is required`);
  return value;
};

const judgeOf = (options: EvalOptions, key: Secret | undefined, cacheDefault: string) => {
  if ((options.judgeModel === undefined) !== (options.judgeEndpoint === undefined)) throw new UsageError('--judge-model and --judge-endpoint go together');
  if (options.judgeModel === undefined || options.judgeEndpoint === undefined) return undefined;
  return {
    endpoint: options.judgeEndpoint,
    model: options.judgeModel,
    ...(key === undefined ? {} : { apiKey: key }),
    cachePath: options.extractCache ?? cacheDefault,
    ...(options.judgeMaxTokens === undefined ? {} : { maxTokens: integer('--judge-max-tokens', options.judgeMaxTokens, 1) }),
  };
};

/** Aborts on the first SIGINT/SIGTERM (requests in flight are cancelled, the journal stays consistent); a second one exits at once. */
const interruptible = (): { readonly signal: AbortSignal; readonly release: () => void } => {
  const controller = new AbortController();
  const onSignal = (): void => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('rlflow eval: stopping (in-flight requests cancelled; run the same command again to resume)\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    release: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
};

export const registerEval: RegisterCommand = (program: Command) => {
  program
    .command('eval')
    .description('evaluate a model behind an OpenAI-compatible endpoint on MathVista, LogicVista or MMMU-Pro (resumable)')
    .option('--benchmark <name>', `one of ${BENCHMARK_NAMES.join(', ')}`)
    .option('--data <file>', 'MathVista testmini.json | LogicVista dataset.json | MMMU-Pro rows .jsonl (image fields as paths)')
    .option('--images <dir>', "images root; paths in the data are confined to it (default: the data file's folder, LogicVista its images/)")
    .option('--endpoint <url>', 'base URL of the OpenAI-compatible API, e.g. http://127.0.0.1:8000/v1')
    .option('--model <name>', 'model name sent to the endpoint')
    .option('--out <file>', "official output file (MathVista output_<m>.json, LogicVista <M>-answers.json, MMMU-Pro <m>_<setting>_<method>.jsonl)")
    .option('--samples <k>', 'samples per item (k > 1: outputs under sample-<s>/)', '1')
    .option('--temperature <t>', 'sampling temperature (default 0 for one sample, 1 for several)')
    .option('--max-tokens <n>', 'max_tokens of each request (default: the server’s)')
    .option('--top-p <p>', 'top_p of each request')
    .option('--concurrency <n>', 'requests in flight at most', '8')
    .option('--timeout-ms <ms>', 'limit of one attempt (headers and body)', '120000')
    .option('--max-retries <n>', 'retries of a request after 429, 5xx, a timeout or a dropped connection', '5')
    .option('--backoff-base-ms <ms>', 'ceiling of the first retry delay (doubling, full jitter)', String(DEFAULT_BACKOFF.baseDelayMs))
    .option('--backoff-max-ms <ms>', 'largest retry delay ceiling', String(DEFAULT_BACKOFF.maxDelayMs))
    .option('--max-retry-after-ms <ms>', "largest wait a server's Retry-After can impose", String(DEFAULT_BACKOFF.maxRetryAfterMs))
    .option('--seed <n>', 'seed of retry jitter, MMMU-Pro random fallback and --send-seed', '0')
    .option('--send-seed', 'send a per-sample seed derived from --seed with each request')
    .option('--limit <n>', 'only the first n items')
    .option('--setting <s>', 'MMMU-Pro setting: standard or vision', 'standard')
    .option('--method <m>', 'MMMU-Pro prompt: cot or direct', 'cot')
    .option('--prompts <file>', 'MMMU-Pro prompts.yaml (default: the official suffixes built in)')
    .option('--judge-model <name>', 'LLM answer extraction (MathVista, LogicVista) with this model')
    .option('--judge-endpoint <url>', 'OpenAI-compatible endpoint of the judge')
    .option('--judge-max-tokens <n>', 'max_tokens of a judge reply', '64')
    .option('--extract-cache <file>', 'extraction cache (default: rlflow-extract-cache.jsonl beside --out)')
    .option('--keep-errors', 'on resume, do not request again the samples that failed')
    .option('--journal <file>', 'journal (default: <out stem>.journal.jsonl beside --out)')
    .option('--summary <file>', 'summary JSON (default: <out stem>.summary.json beside --out)')
    .option('--measure-extraction <file>', 'instead of evaluating: agreement of the extractor with the official extractions in a MathVista output_*.json or LogicVista *-accuracy-results.csv')
    .option('--json', 'print the summary (or agreement report) as JSON')
    .action(async (options: EvalOptions) => {
      const benchmark = options.benchmark ?? '';
      if (!isBenchmarkName(benchmark)) throw new UsageError(`--benchmark must be one of ${BENCHMARK_NAMES.join(', ')}, got ${JSON.stringify(benchmark)}`);
      const apiKey = readApiKey();
      const judgeKey = readApiKey(process.env, ['RLFLOW_JUDGE_API_KEY']) ?? apiKey;
      const scrub = redactor([apiKey, judgeKey]);
      const log = (line: string): void => void process.stderr.write(`${scrub(line)}\n`);
      const backoff: BackoffPolicy = {
        baseDelayMs: integer('--backoff-base-ms', options.backoffBaseMs, 0),
        maxDelayMs: integer('--backoff-max-ms', options.backoffMaxMs, 0),
        maxRetryAfterMs: integer('--max-retry-after-ms', options.maxRetryAfterMs, 0),
      };
      const common = {
        concurrency: integer('--concurrency', options.concurrency, 1),
        timeoutMs: integer('--timeout-ms', options.timeoutMs, 1),
        maxRetries: integer('--max-retries', options.maxRetries, 0),
        backoff,
        seed: integer('--seed', options.seed, 0),
      };
      const limit = optional(options.limit, (v) => integer('--limit', v, 1));

      if (options.measureExtraction !== undefined) {
        if (benchmark === 'mmmu-pro') throw new UsageError('--measure-extraction is for mathvista or logicvista (MMMU-Pro has no LLM extraction)');
        const file = options.measureExtraction;
        const judge = judgeOf(options, judgeKey, options.extractCache ?? join(dirname(options.out ?? file), 'rlflow-extract-cache.jsonl'));
        const { signal, release } = interruptible();
        try {
          const measured = await measureExtraction({
            benchmark,
            file,
            ...(options.data === undefined ? {} : { dataPath: options.data }),
            ...(judge === undefined ? {} : { judge }),
            ...common,
            ...(limit === undefined ? {} : { limit }),
            signal,
          });
          if (E.isLeft(measured)) throw new Error(scrub(measured.left));
          const { report, judge: counters } = measured.right;
          const text = `${formatAgreement(report)}${counters === null ? '' : `\n  judge ${counters.model}: ${counters.requests} requests, ${counters.cacheHits} cached, ${counters.failures} failed`}`;
          if (options.out !== undefined) await writeFileAtomic(options.out, scrub(`${JSON.stringify({ ...report, judge: counters }, null, 2)}\n`));
          process.stdout.write(options.json === true ? `${scrub(JSON.stringify({ ...report, judge: counters }, null, 2))}\n` : `${text}\n`);
        } finally {
          release();
        }
        return;
      }

      const data = required('--data', options.data);
      const endpoint = required('--endpoint', options.endpoint);
      const model = required('--model', options.model);
      const out = required('--out', options.out);
      const samples = integer('--samples', options.samples, 1);
      if (options.setting !== 'standard' && options.setting !== 'vision') throw new UsageError(`--setting must be standard or vision, got ${JSON.stringify(options.setting)}`);
      if (options.method !== 'cot' && options.method !== 'direct') throw new UsageError(`--method must be cot or direct, got ${JSON.stringify(options.method)}`);
      const judge = judgeOf(options, judgeKey, options.extractCache ?? defaultCachePath(out));
      if (judge !== undefined && benchmark === 'mmmu-pro') throw new UsageError('MMMU-Pro is scored by its official parser; --judge-model does not apply');
      const temperature = optional(options.temperature, (v) => finite('--temperature', v, 0, 2)) ?? (samples === 1 ? 0 : 1);

      const { signal, release } = interruptible();
      try {
        const result = await evaluateEndpoint({
          benchmark,
          dataPath: data,
          ...(options.images === undefined ? {} : { imagesRoot: options.images }),
          ...(limit === undefined ? {} : { limit }),
          mmmuSetting: options.setting,
          mmmuMethod: options.method,
          ...(options.prompts === undefined ? {} : { mmmuPromptsPath: options.prompts }),
          endpoint,
          model,
          ...(apiKey === undefined ? {} : { apiKey }),
          out,
          samples,
          temperature,
          ...(options.maxTokens === undefined ? {} : { maxTokens: integer('--max-tokens', options.maxTokens, 1) }),
          ...(options.topP === undefined ? {} : { topP: finite('--top-p', options.topP, 0, 1) }),
          sendSeed: options.sendSeed === true,
          ...common,
          retryErrors: options.keepErrors !== true,
          ...(judge === undefined ? {} : { judge }),
          ...(options.journal === undefined ? {} : { journalPath: options.journal }),
          ...(options.summary === undefined ? {} : { summaryPath: options.summary }),
          signal,
          log,
        });
        if (E.isLeft(result)) throw new Error(scrub(result.left));
        if (result.right.status === 'aborted') {
          const { outcome, journal } = result.right;
          throw new Error(`interrupted after ${outcome.journaled} new result(s) (journal ${journal}); run the same command again to resume`);
        }
        const { summary, summaryPath } = result.right;
        process.stdout.write(options.json === true ? `${scrub(JSON.stringify(summary, null, 2))}\n` : `${scrub(formatSummary(summary, summaryPath))}\n`);
      } finally {
        release();
      }
    });
};
