/**
 * `rlflow study --presets P1,P2,… --seeds N [--steps T] [--set a.b=c]… [--out DIR]`: the grid
 * presets × seeds 0…N−1 of training runs (each resumable, finished ones skipped, so a killed
 * study run again continues where it stopped), then `DIR/study.md`, `DIR/study.json` and SVG
 * plots (apps/trainer/src/study).
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import * as E from 'fp-ts/lib/Either.js';
import { UsageError } from '../main.js';
import { planStudy, runStudy } from '../study/index.js';
import { commandDescription, type RegisterCommand } from './index.js';

interface StudyFlags {
  readonly presets: string;
  readonly seeds: string;
  readonly steps?: string;
  readonly set: string[];
  readonly out: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

const positiveInteger = (name: string, text: string): number => {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new UsageError(`--${name} must be an integer ≥ 1, got ${JSON.stringify(text)}`);
  return value;
};

const quote = (arg: string): string => (/^[\w./=,:@+-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`);

export const registerStudy: RegisterCommand = (program: Command) => {
  program
    .command('study')
    .description(commandDescription('study'))
    .requiredOption('--presets <list>', 'comma-separated presets, e.g. grpo,dapo,acpo,apo')
    .requiredOption('--seeds <n>', 'seeds per preset: 0 … n − 1')
    .option('--steps <n>', 'RL steps per run (default: the preset’s)')
    .option('--set <path=value>', 'override one config value in every run (repeatable)', collect, [])
    .option('-o, --out <dir>', 'study directory', 'runs/study')
    .action(async (flags: StudyFlags) => {
      const out = resolve(flags.out);
      const plan = planStudy({
        presets: flags.presets.split(',').map((p) => p.trim()).filter((p) => p !== ''),
        seeds: positiveInteger('seeds', flags.seeds),
        ...(flags.steps === undefined ? {} : { steps: positiveInteger('steps', flags.steps) }),
        sets: flags.set,
        out,
      });
      if (E.isLeft(plan)) throw new UsageError(`invalid study:\n  ${plan.left.problems.join('\n  ')}`);
      const log = (line: string): void => {
        process.stderr.write(`${line}\n`);
      };
      log(`study directory: ${out} (${plan.right.cells.length} runs, ${plan.right.totalSteps} steps)`);
      const result = await runStudy({ plan: plan.right, log, command: ['rlflow', ...process.argv.slice(2)].map(quote).join(' ') });
      for (const file of result.files) process.stdout.write(`wrote ${file}\n`);
      process.exitCode = result.exitCode;
    });
};
