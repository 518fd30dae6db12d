/**
 * `rlflow tasks`: writes sample problems of the synthetic visual-reasoning suite so a person
 * can look at them: one PNG per problem, upscaled with nearest-neighbour (`--scale`, 8× by
 * default: 32×32 → 256×256), and `problems.jsonl` with each problem's id, family, level,
 * split, question, choices, prompt, answer, answer type, reference solution and image file.
 */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import * as E from 'fp-ts/lib/Either.js';
import { writeFileAtomic } from '@rlflow/core';
import {
  FAMILIES,
  LEVELS,
  encodePng,
  isFamily,
  isLevel,
  isSplit,
  SPLITS,
  problemPrompt,
  sampleProblems,
  upscaleNearest,
  type Family,
  type Level,
  type Problem,
} from '@rlflow/rollout';
import { UsageError } from '../main.js';
import { integerFlag } from './flags.js';
import { commandDescription, type RegisterCommand } from './index.js';

interface TasksOptions {
  readonly family: string;
  readonly level: string;
  readonly count: string;
  readonly out: string;
  readonly seed: string;
  readonly split: string;
  readonly scale: string;
}

const list = (text: string): string[] =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

const parseFamilies = (text: string): Family[] => {
  const names = text.trim() === 'all' ? [...FAMILIES] : list(text);
  if (names.length === 0) throw new UsageError('--family is empty');
  return names.map((name) => {
    if (!isFamily(name)) throw new UsageError(`--family ${JSON.stringify(name)} is not one of ${FAMILIES.join(', ')}, all`);
    return name;
  });
};

const parseLevels = (text: string): Level[] => {
  const levels = list(text).map((l) => integerFlag('level', l, Math.min(...LEVELS), Math.max(...LEVELS)));
  if (levels.length === 0) throw new UsageError('--level is empty');
  return levels.filter(isLevel);
};

const record = (problem: Problem, image: string): Record<string, unknown> => ({
  id: problem.id,
  family: problem.family,
  level: problem.level,
  split: problem.split,
  question: problem.question,
  ...(problem.choices === undefined ? {} : { choices: problem.choices }),
  prompt: problemPrompt(problem),
  answer: problem.answer,
  answerType: problem.answerType,
  solution: problem.solution,
  image,
});

export const runTasks = async (options: TasksOptions): Promise<string> => {
  const families = parseFamilies(options.family);
  const levels = parseLevels(options.level);
  const count = integerFlag('count', options.count, 1, 100_000);
  const seed = integerFlag('seed', options.seed, 0, 2 ** 32 - 1);
  const scale = integerFlag('scale', options.scale, 1, 64);
  if (!isSplit(options.split)) throw new UsageError(`--split ${JSON.stringify(options.split)} is not one of ${SPLITS.join(', ')}`);
  const problems = sampleProblems({ families, levels, split: options.split, seed, count });
  if (E.isLeft(problems)) throw problems.left;
  const out = resolve(options.out);
  const width = String(count - 1).length;
  const lines: string[] = [];
  for (const [i, problem] of problems.right.entries()) {
    const image = `${String(i).padStart(width, '0')}-${problem.family}-l${problem.level}.png`;
    await writeFileAtomic(join(out, image), encodePng(upscaleNearest(scale)(problem.image)));
    lines.push(JSON.stringify(record(problem, image)));
  }
  await writeFileAtomic(join(out, 'problems.jsonl'), `${lines.join('\n')}\n`);
  return `wrote ${count} problem(s) to ${out} (problems.jsonl and ${count} PNG(s) at ${32 * scale}×${32 * scale})\n`;
};

export const registerTasks: RegisterCommand = (program: Command) => {
  program
    .command('tasks')
    .description(commandDescription('tasks'))
    .requiredOption('--family <names>', `family or comma-separated families: ${FAMILIES.join(', ')}, or all`)
    .requiredOption('--level <levels>', `difficulty level (${LEVELS.join(', ')}), or comma-separated levels`)
    .option('--count <n>', 'number of problems', '8')
    .requiredOption('--out <dir>', 'output directory')
    .option('--seed <n>', 'seed', '0')
    .option('--split <split>', `one of ${SPLITS.join(', ')}`, 'train')
    .option('--scale <k>', 'nearest-neighbour upscaling factor of the PNGs', '8')
    .action(async (options: TasksOptions) => {
      process.stdout.write(await runTasks(options));
    });
};
