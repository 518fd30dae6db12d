/**
 * `rlflow sft`: the supervised warm start RL starts from. Trains the built-in model on the
 * reference solutions of the synthetic suite's train split (levels 1–3 by default), evaluates
 * it on the held-out split per level and family, and stores the checkpoint with `sft.json`
 * under `.rlflow-cache/sft/<config hash>/` (or `--out`). A stored warm start with the same
 * configuration is reused unless `--force`.
 */
import type { Command } from 'commander';
import * as E from 'fp-ts/lib/Either.js';
import { BACKEND_CHOICES, initBackend, isBackendChoice, type BackendChoice } from '@rlflow/policy';
import { isLevel, LEVELS, type Level } from '@rlflow/rollout';
import { isLocalEngineName, LOCAL_ENGINE_NAMES } from '../engines.js';
import { UsageError } from '../main.js';
import { defaultSftConfig, ensureSftCheckpoint, formatSftReport, isSftRecipe, SFT_RECIPE_NAMES, SFT_RECIPES, SFT_STEPS, type SftConfig } from '../sft/index.js';

const SFT_FLAG_DEFAULTS = { steps: String(SFT_STEPS), seed: '0', levels: '1,2,3' } as const;
import { integerFlag } from './flags.js';
import { commandDescription, type RegisterCommand } from './index.js';

interface SftOptions {
  readonly out?: string;
  readonly steps: string;
  readonly seed: string;
  readonly backend: string;
  readonly levels: string;
  readonly force?: boolean;
  readonly recipe?: string;
  readonly engine: string;
}

const parseLevels = (text: string): Level[] => {
  const levels = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => integerFlag('levels', s, Math.min(...LEVELS), Math.max(...LEVELS)));
  if (levels.length === 0) throw new UsageError('--levels is empty');
  if (new Set(levels).size !== levels.length) throw new UsageError(`--levels ${JSON.stringify(text)} repeats a level`);
  return levels.filter(isLevel);
};

const parseBackend = (text: string): BackendChoice => {
  if (!isBackendChoice(text)) throw new UsageError(`--backend ${JSON.stringify(text)} is not one of ${BACKEND_CHOICES.join(', ')}`);
  return text;
};

/** A registered recipe as it is (`init=sft:NAME` starts from exactly this one), so --steps, --seed and --levels must stay at their defaults. */
const recipeConfig = (options: SftOptions): SftConfig => {
  const recipe = options.recipe ?? 'default';
  if (!isSftRecipe(recipe)) throw new UsageError(`--recipe ${JSON.stringify(recipe)} is not one of ${SFT_RECIPE_NAMES.join(', ')}`);
  const changed = (['steps', 'seed', 'levels'] as const).filter((flag) => options[flag] !== SFT_FLAG_DEFAULTS[flag]);
  if (changed.length > 0) throw new UsageError(`--recipe ${recipe} trains the recipe as registered: drop ${changed.map((f) => `--${f}`).join(', ')}`);
  return SFT_RECIPES[recipe]();
};

export const runSft = async (options: SftOptions): Promise<void> => {
  const config = options.recipe === undefined ? defaultSftConfig({ steps: integerFlag('steps', options.steps, 1, 1_000_000), seed: integerFlag('seed', options.seed, 0, 2 ** 32 - 1), levels: parseLevels(options.levels) }) : recipeConfig(options);
  const backend = parseBackend(options.backend);
  const info = await initBackend(backend);
  process.stdout.write(`backend: ${info.reason}\n`);
  const engine = options.engine;
  if (!isLocalEngineName(engine)) throw new UsageError(`--engine ${JSON.stringify(engine)}: expected a local engine, one of ${LOCAL_ENGINE_NAMES.join(', ')}`);
  const result = await ensureSftCheckpoint({
    config,
    engine,
    ...(options.out === undefined ? {} : { out: options.out }),
    force: options.force === true,
    log: (line) => process.stdout.write(`${line}\n`),
    progress: process.stdout,
  });
  if (E.isLeft(result)) throw result.left;
  process.stdout.write(formatSftReport(result.right));
};

export const registerSft: RegisterCommand = (program: Command) => {
  program
    .command('sft')
    .description(commandDescription('sft'))
    .option('--out <dir>', 'output directory (default: .rlflow-cache/sft/<config hash>)')
    .option('--recipe <name>', `a registered warm start as \`init=sft:NAME\` uses it (${SFT_RECIPE_NAMES.join(', ')})`)
    .option('--steps <n>', 'optimizer steps', SFT_FLAG_DEFAULTS.steps)
    .option('--seed <n>', 'seed of the initial weights and the training problems', SFT_FLAG_DEFAULTS.seed)
    .option('--backend <name>', `one of ${BACKEND_CHOICES.join(', ')}`, 'auto')
    .option('--levels <list>', `training levels, comma-separated (of ${LEVELS.join(',')})`, SFT_FLAG_DEFAULTS.levels)
    .option('--engine <name>', `the local engine that trains it, one of ${LOCAL_ENGINE_NAMES.join(', ')} (a warm start of another engine than tfjs is cached apart)`, 'tfjs')
    .option('--force', 'train even when a warm start with this configuration is stored')
    .action(async (options: SftOptions) => {
      await runSft(options);
    });
};
