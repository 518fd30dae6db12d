/**
 * `rlflow eval-local --checkpoint DIR [--data FILE] [--problems N] [--levels 1,2] [--seed S] [--json]`:
 * evaluates an rlflow checkpoint (an SFT warm start, a training checkpoint or a policy directory)
 * with greedy decoding, on the held-out split of the built-in suite (accuracy per level and
 * family) or, with --data, on a JSONL/Parquet dataset in the loaders' layout.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import * as E from 'fp-ts/lib/Either.js';
import { evaluateDatasetFile, evaluateOnSuite, formatSuiteTable } from '@rlflow/eval';
import { initBackend, isBackendChoice, readPolicyCheckpoint, type Policy } from '@rlflow/policy';
import { FAMILIES, isLevel, type Level } from '@rlflow/rollout';
import { UsageError } from '../main.js';
import type { RegisterCommand } from './index.js';

interface Flags {
  readonly checkpoint: string;
  readonly data?: string;
  readonly problems: string;
  readonly levels: string;
  readonly seed: string;
  readonly backend: string;
  readonly json?: boolean;
}

const loadPolicy = async (dir: string): Promise<Policy> => {
  for (const candidate of [dir, join(dir, 'policy'), join(dir, 'checkpoint')]) {
    const policy = await readPolicyCheckpoint(candidate);
    if (E.isRight(policy)) return policy.right;
  }
  throw new UsageError(`${dir} holds no rlflow policy checkpoint (policy.json + weights.bin, directly or in policy/ or checkpoint/)`);
};

const positive = (name: string, text: string): number => {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${name} is ${JSON.stringify(text)}, expected an integer ≥ 1`);
  return n;
};

export const registerEvalLocal: RegisterCommand = (program: Command) => {
  program
    .command('eval-local')
    .description('evaluate an rlflow checkpoint (greedy) on the held-out suite or on a JSONL/Parquet dataset')
    .requiredOption('--checkpoint <dir>', 'checkpoint directory (SFT warm start, training checkpoint step-N, or policy directory)')
    .option('--data <file>', 'a JSONL or Parquet dataset instead of the built-in suite')
    .option('--problems <n>', 'held-out problems per family and level', '40')
    .option('--levels <list>', 'difficulty levels of the suite', '1,2,3,4,5')
    .option('--seed <s>', 'seed of the held-out sample', '1')
    .option('--backend <name>', 'auto, wasm, cpu, tensorflow or tensorflow-gpu', 'auto')
    .option('--json', 'print the result as JSON')
    .action(async (flags: Flags) => {
      const levels = flags.levels.split(',').map((s) => Number(s.trim()));
      if (!levels.every(isLevel)) throw new UsageError(`--levels ${JSON.stringify(flags.levels)}: expected levels in 1..5`);
      if (!isBackendChoice(flags.backend)) throw new UsageError(`--backend ${JSON.stringify(flags.backend)}: expected auto, wasm, cpu, tensorflow or tensorflow-gpu`);
      await initBackend(flags.backend);
      const policy = await loadPolicy(flags.checkpoint);
      const seed = positive('seed', flags.seed);
      try {
        if (flags.data !== undefined) {
          const result = await evaluateDatasetFile({ policy, path: flags.data, seed, maxNewTokens: policy.config.maxResponseTokens });
          if (E.isLeft(result)) throw result.left;
          const { overall, skipped, issues } = result.right;
          process.stdout.write(
            flags.json === true
              ? `${JSON.stringify({ file: flags.data, ...overall, skipped: skipped.length, malformed: issues.length })}\n`
              : `${flags.data}: accuracy ${(100 * overall.accuracy).toFixed(1)}% (${overall.correct}/${overall.count}), format ${(100 * overall.formatRate).toFixed(1)}%, ${skipped.length} skipped, ${issues.length} malformed\n`,
          );
          return;
        }
        const evaluation = evaluateOnSuite({
          policy,
          families: FAMILIES,
          levels: levels as Level[],
          problemsPerCell: positive('problems', flags.problems),
          seed,
          maxNewTokens: policy.config.maxResponseTokens,
        });
        if (E.isLeft(evaluation)) throw evaluation.left;
        const { overall, byLevel, byFamily } = evaluation.right;
        process.stdout.write(
          flags.json === true ? `${JSON.stringify({ overall, byLevel, byFamily })}\n` : `${formatSuiteTable(evaluation.right, 'level')}\n\n${formatSuiteTable(evaluation.right, 'family')}\n`,
        );
      } finally {
        policy.dispose();
      }
    });
};
