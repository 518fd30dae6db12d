/**
 * `rlflow compare RUN_DIR… --out DIR`: groups runs by algorithm (several seeds each), and writes
 * `DIR/report.md` (final reward mean ± std with a 95% bootstrap interval, final accuracy, AUC,
 * steps to 90% of the final reward, reward-curve variance) and SVG plots of reward, accuracy, clip
 * fraction, response length and entropy over steps.
 */
import * as E from 'fp-ts/lib/Either.js';
import type { Command } from 'commander';
import { writeCompareReport } from '@rlflow/eval';
import { UsageError } from '../main.js';
import { commandDescription, type RegisterCommand } from './index.js';

interface CompareCliOptions {
  readonly out?: string;
  readonly seed: string;
  readonly resamples: string;
}

const integerOption = (name: string, text: string, min: number): number => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got ${JSON.stringify(text)}`);
  return value;
};

export const registerCompare: RegisterCommand = (program: Command) => {
  program
    .command('compare')
    .description(commandDescription('compare'))
    .argument('<run-dirs...>', 'run directories, each with config.json and metrics.jsonl')
    .requiredOption('--out <dir>', 'directory for report.md and the plots')
    .option('--seed <n>', 'seed of the bootstrap intervals', '0')
    .option('--resamples <n>', 'bootstrap resamples', '10000')
    .action(async (runDirs: string[], options: CompareCliOptions) => {
      const seed = integerOption('seed', options.seed, Number.MIN_SAFE_INTEGER);
      const resamples = integerOption('resamples', options.resamples, 1);
      const report = await writeCompareReport(runDirs, options.out ?? '', { seed, resamples });
      if (E.isLeft(report)) throw report.left;
      for (const note of report.right.comparison.notes) process.stderr.write(`rlflow compare: note: ${note}\n`);
      process.stdout.write(`${report.right.files.map((file) => `wrote ${file}`).join('\n')}\n`);
    });
};
