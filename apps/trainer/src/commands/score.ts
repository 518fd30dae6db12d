/**
 * `rlflow score`: re-scores a file in a benchmark's official output format with the ported official
 * scorer (docs/evaluation.md) — MathVista `output_*.json` (stored extractions), LogicVista
 * `*-accuracy-results.csv` (extracted column, against `--dataset dataset.json`), MMMU-Pro output
 * `.jsonl` (responses, official parser). Prints a table, or with `--json` the summary object; writes
 * one JSON line per item with `--per-item`.
 */
import * as E from 'fp-ts/lib/Either.js';
import type { Command } from 'commander';
import { writeFileAtomic } from '@rlflow/core';
import {
  BENCHMARK_NAMES,
  formatScoreText,
  isBenchmarkName,
  perItemJsonLines,
  scoreLogicVistaResultsFile,
  scoreMathVistaOutputFile,
  scoreMmmuProOutputFile,
  scoreSummary,
  type Agreement,
  type BenchmarkName,
  type BenchmarkScore,
  type FileScore,
  type ScoreFileError,
} from '@rlflow/eval';
import { UsageError } from '../main.js';
import type { RegisterCommand } from './index.js';

interface ScoreOptions {
  readonly benchmark?: string;
  readonly input?: string;
  readonly dataset?: string;
  readonly perItem?: string;
  readonly json?: boolean;
  readonly seed: string;
  readonly fallback: string;
}

const agreementNote = (label: string, agreement: Agreement | undefined): string[] =>
  agreement === undefined || agreement.compared === 0
    ? []
    : [
        `${label}: ${agreement.agree}/${agreement.compared} rows agree${
          agreement.disagreeing.length > 0 ? ` (differ: ${agreement.disagreeing.slice(0, 10).join(', ')}${agreement.disagreeing.length > 10 ? ', ...' : ''})` : ''
        }`,
      ];

const scoreFile = async (
  benchmark: BenchmarkName,
  input: string,
  options: ScoreOptions,
): Promise<E.Either<ScoreFileError, FileScore<BenchmarkScore>>> => {
  switch (benchmark) {
    case 'mathvista':
      return scoreMathVistaOutputFile(input);
    case 'logicvista':
      if (options.dataset === undefined) throw new UsageError('--benchmark logicvista needs --dataset FILE (LogicVista data/dataset.json)');
      if (input.endsWith('.json')) {
        throw new UsageError('--benchmark logicvista scores an official *-accuracy-results.csv (raw *-answers.json files need the LLM extractor: rlflow eval)');
      }
      return scoreLogicVistaResultsFile(input, options.dataset);
    case 'mmmu-pro': {
      const seed = Number(options.seed);
      if (!Number.isInteger(seed)) throw new UsageError(`--seed must be an integer, got ${JSON.stringify(options.seed)}`);
      if (options.fallback !== 'stored' && options.fallback !== 'seeded') {
        throw new UsageError(`--fallback must be stored or seeded, got ${JSON.stringify(options.fallback)}`);
      }
      return scoreMmmuProOutputFile(input, { seed, fallback: options.fallback });
    }
  }
};

export const registerScore: RegisterCommand = (program: Command) => {
  program
    .command('score')
    .description("re-score a benchmark's official output file with the ported official scorer")
    .requiredOption('--benchmark <name>', `one of ${BENCHMARK_NAMES.join(', ')}`)
    .requiredOption('--input <file>', 'MathVista output_*.json | LogicVista *-accuracy-results.csv | MMMU-Pro output .jsonl')
    .option('--dataset <file>', 'LogicVista dataset.json (required for logicvista)')
    .option('--per-item <file>', 'write one JSON line per item (id, prediction, correct, parsed)')
    .option('--json', 'print {benchmark, correct, total, accuracy, unparsed, breakdown} as JSON')
    .option('--seed <n>', 'MMMU-Pro: seed of the random fallback', '0')
    .option('--fallback <mode>', "MMMU-Pro: a row that reaches the random fallback predicts its stored pred_indexs ('stored') or a seeded draw ('seeded')", 'stored')
    .action(async (options: ScoreOptions) => {
      const benchmark = options.benchmark ?? '';
      if (!isBenchmarkName(benchmark)) throw new UsageError(`--benchmark must be one of ${BENCHMARK_NAMES.join(', ')}, got ${JSON.stringify(benchmark)}`);
      if (options.dataset !== undefined && benchmark !== 'logicvista') throw new UsageError('--dataset is only used with --benchmark logicvista');
      const result = await scoreFile(benchmark, options.input ?? '', options);
      if (E.isLeft(result)) throw result.left;
      const { score, verdicts, predictions, warnings } = result.right;
      for (const warning of warnings) process.stderr.write(`rlflow score: warning: ${warning}\n`);
      if (options.perItem !== undefined) await writeFileAtomic(options.perItem, perItemJsonLines(score.items));
      if (options.json === true) process.stdout.write(`${JSON.stringify(scoreSummary(score), null, 2)}\n`);
      else {
        const notes = [`input: ${options.input ?? ''}`, ...agreementNote('stored verdicts', verdicts), ...agreementNote('stored predictions (random-fallback rows excluded)', predictions)];
        process.stdout.write(formatScoreText(score, notes));
      }
    });
};
