/**
 * `rlflow eval-local --checkpoint DIR [--data FILE] [--split validation|test] [--problems N] [--levels 1,2] [--seed S]
 * [--samples K --temperature T --top-p P] [--json]`: evaluates an rlflow checkpoint (an SFT warm
 * start, a training checkpoint or a policy directory) on a held-out split of the built-in suite (test by
 * default; validation, on which settings are chosen)
 * (accuracy per level and family; greedy, or avg@K over K sampled answers per problem) or, with
 * --data, greedily on a JSONL/Parquet dataset in the loaders' layout. The evaluation talks to the
 * engine contract's `sample` (evaluate/), the engine chosen by name from the engine registry.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import * as E from 'fp-ts/lib/Either.js';
import type { Engine } from '@rlflow/engine';
import { BACKEND_CHOICES, isBackendChoice } from '@rlflow/policy';
import { FAMILIES, HELD_OUT_SPLITS, LEVELS, isLevel, type HeldOutSplit, type Level } from '@rlflow/rollout';
import { ENGINE_NAMES, isEngineName, loadEngineFactory, type EngineName } from '../engines.js';
import { evaluateDatasetFile, evaluateOnSuite, formatSuiteTable, GREEDY, type Decoding } from '../evaluate/index.js';
import { UsageError } from '../main.js';
import { integerFlag, numberFlag } from './flags.js';
import { commandDescription, type RegisterCommand } from './index.js';

interface Flags {
  readonly checkpoint: string;
  readonly data?: string;
  readonly split: string;
  readonly problems: string;
  readonly levels: string;
  readonly seed: string;
  readonly samples: string;
  readonly temperature: string;
  readonly topP: string;
  readonly backend: string;
  readonly engine: string;
  readonly json?: boolean;
}

const isHeldOutSplit = (name: string): name is HeldOutSplit => (HELD_OUT_SPLITS as readonly string[]).includes(name);

/** The engine with the checkpoint's policy: the directory itself, or its policy/ (training checkpoint) or checkpoint/ (SFT warm start). */
const loadEngine = async (name: EngineName, dir: string, device: string): Promise<Engine> => {
  const factory = await loadEngineFactory(name);
  const problems: string[] = [];
  for (const candidate of [dir, join(dir, 'policy'), join(dir, 'checkpoint')]) {
    const engine = await factory({ init: { kind: 'weights', dir: candidate }, model: undefined, reference: false, tokenBudget: 0, device });
    if (E.isRight(engine)) return engine.right;
    problems.push(engine.left.message);
  }
  throw new UsageError(`${dir} holds no rlflow policy checkpoint (policy.json + weights.bin, directly or in policy/ or checkpoint/): ${problems[0]}`);
};

const positive = (name: string, text: string): number => integerFlag(name, text, 1);

/** Greedy for one sample; K samples at --temperature (> 0) and --top-p otherwise. */
const decodingOf = (flags: Flags): Decoding => {
  const samples = positive('samples', flags.samples);
  return samples === 1 ? GREEDY : { samples, temperature: numberFlag('temperature', flags.temperature, 0, 10, true), topP: numberFlag('top-p', flags.topP, 0, 1, true) };
};

export const registerEvalLocal: RegisterCommand = (program: Command) => {
  program
    .command('eval-local')
    .description(commandDescription('eval-local'))
    .requiredOption('--checkpoint <dir>', 'checkpoint directory (SFT warm start, training checkpoint step-N, or policy directory)')
    .option('--data <file>', 'a JSONL or Parquet dataset instead of the built-in suite')
    .option('--split <name>', `held-out split of the suite: ${HELD_OUT_SPLITS.join(' or ')}`, 'test')
    .option('--problems <n>', 'held-out problems per family and level', '40')
    .option('--levels <list>', `difficulty levels of the suite, comma-separated (of ${LEVELS.join(',')})`, LEVELS.join(','))
    .option('--seed <s>', 'seed of the held-out sample (and of the sampled answers)', '1')
    .option('--samples <k>', 'answers per suite problem: 1 = greedy, k > 1 = sampled, reported as avg@k', '1')
    .option('--temperature <t>', 'sampling temperature when --samples > 1', '1')
    .option('--top-p <p>', 'nucleus sampling mass when --samples > 1', '1')
    .option('--engine <name>', `one of ${ENGINE_NAMES.join(', ')}`, 'tfjs')
    .option('--backend <name>', `one of ${BACKEND_CHOICES.join(', ')}`, 'auto')
    .option('--json', 'print the result as JSON')
    .action(async (flags: Flags) => {
      const levels = flags.levels.split(',').map((s) => Number(s.trim()));
      if (!levels.every(isLevel)) throw new UsageError(`--levels ${JSON.stringify(flags.levels)}: expected levels of ${LEVELS.join(', ')}`);
      if (!isBackendChoice(flags.backend)) throw new UsageError(`--backend ${JSON.stringify(flags.backend)}: expected one of ${BACKEND_CHOICES.join(', ')}`);
      if (!isHeldOutSplit(flags.split)) throw new UsageError(`--split ${JSON.stringify(flags.split)}: expected one of ${HELD_OUT_SPLITS.join(', ')}`);
      const split = flags.split;
      if (!isEngineName(flags.engine)) throw new UsageError(`--engine ${JSON.stringify(flags.engine)}: expected one of ${ENGINE_NAMES.join(', ')}`);
      const engine = await loadEngine(flags.engine, flags.checkpoint, flags.backend);
      const seed = positive('seed', flags.seed);
      const decoding = decodingOf(flags);
      try {
        if (flags.data !== undefined) {
          if (decoding.samples > 1) throw new UsageError('--samples applies to the built-in suite; a --data evaluation is greedy');
          const result = await evaluateDatasetFile({ engine, path: flags.data, seed, maxNewTokens: engine.info.maxResponseTokens });
          if (E.isLeft(result)) throw result.left;
          const { overall, skipped, issues } = result.right;
          process.stdout.write(
            flags.json === true
              ? `${JSON.stringify({ file: flags.data, ...overall, skipped: skipped.length, malformed: issues.length })}\n`
              : `${flags.data}: accuracy ${(100 * overall.accuracy).toFixed(1)}% (${overall.correct}/${overall.count}), format ${(100 * overall.formatRate).toFixed(1)}%, ${skipped.length} skipped, ${issues.length} malformed\n`,
          );
          return;
        }
        const evaluation = await evaluateOnSuite({
          engine,
          split,
          families: FAMILIES,
          levels: levels as Level[],
          problemsPerCell: positive('problems', flags.problems),
          seed,
          maxNewTokens: engine.info.maxResponseTokens,
          decoding,
        });
        if (E.isLeft(evaluation)) throw evaluation.left;
        const { overall, byLevel, byFamily } = evaluation.right;
        const heading = decoding.samples === 1 ? 'greedy' : `avg@${decoding.samples} at temperature ${decoding.temperature}, top-p ${decoding.topP}`;
        process.stdout.write(
          flags.json === true ? `${JSON.stringify({ split, decoding, overall, byLevel, byFamily })}\n` : `${split} split, ${heading}\n` + `${formatSuiteTable(evaluation.right, 'level')}\n\n${formatSuiteTable(evaluation.right, 'family')}\n`,
        );
      } finally {
        await engine.dispose();
      }
    });
};
