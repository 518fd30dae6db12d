/**
 * `rlflow train --preset P | --config FILE [--set a.b=c]… [--steps N] [--seed S] [--engine E] [--backend B] [--out DIR]`
 * and `rlflow resume DIR`: an RL run of the built-in policy on the synthetic suite. The config
 * is resolved (defaults ◁ preset ◁ file ◁ --set ◁ flags) and decoded before anything runs; a bad
 * one exits with code 2 naming each offending field.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import * as E from 'fp-ts/lib/Either.js';
import { BACKEND_CHOICES } from '@rlflow/policy';
import { PRESET_NAMES, readConfigSource, readResolvedConfig, resolveConfig, type TrainConfig } from '../config/index.js';
import { UsageError } from '../main.js';
import { runTraining } from '../pipeline/run.js';
import { ENGINE_CHOICES } from '../engines.js';
import { commandDescription, type RegisterCommand } from './index.js';

interface TrainFlags {
  readonly preset?: string;
  readonly config?: string;
  readonly set: string[];
  readonly steps?: string;
  readonly seed?: string;
  readonly engine?: string;
  readonly backend?: string;
  readonly out?: string;
  readonly engineUrl?: string;
  readonly baseModel?: string;
  readonly loraRank?: string;
  readonly tokenizer?: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

const configOf = async (flags: TrainFlags): Promise<TrainConfig> => {
  if (flags.preset === undefined && flags.config === undefined) throw new UsageError('give --preset NAME or --config FILE');
  let file;
  if (flags.config !== undefined) {
    const source = await readConfigSource(flags.config);
    if (E.isLeft(source)) throw new UsageError(source.left.message);
    file = source.right;
  }
  const sets = [
    ...flags.set,
    ...(flags.steps === undefined ? [] : [`steps=${flags.steps}`]),
    ...(flags.seed === undefined ? [] : [`seed=${flags.seed}`]),
    ...(flags.engine === undefined ? [] : [`engine=${flags.engine}`]),
    ...(flags.backend === undefined ? [] : [`backend=${flags.backend}`]),
    ...(flags.engineUrl === undefined ? [] : [`remote.url=${flags.engineUrl}`]),
    ...(flags.baseModel === undefined ? [] : [`remote.baseModel=${flags.baseModel}`]),
    ...(flags.loraRank === undefined ? [] : [`remote.loraRank=${flags.loraRank}`]),
    ...(flags.tokenizer === undefined ? [] : [`remote.tokenizer=${resolve(flags.tokenizer)}`]),
  ];
  const resolved = resolveConfig({ ...(flags.preset === undefined ? {} : { preset: flags.preset }), ...(file === undefined ? {} : { file }), sets });
  if (E.isLeft(resolved)) throw new UsageError(`invalid configuration:\n  ${resolved.left.problems.join('\n  ')}`);
  return resolved.right;
};

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

export const registerTrain: RegisterCommand = (program: Command) => {
  program
    .command('train')
    .description(commandDescription('train'))
    .option('-p, --preset <name>', `algorithm preset: ${PRESET_NAMES.join(', ')}`)
    .option('-c, --config <file>', 'configuration file (JSON or YAML; may name its base preset)')
    .option('--set <path=value>', 'override one config value, e.g. --set clip.epsHigh=0.3 (repeatable)', collect, [])
    .option('--steps <n>', 'RL steps (same as --set steps=N)')
    .option('--seed <s>', 'run seed (same as --set seed=S)')
    .option('--engine <name>', `the engine that computes the run: ${ENGINE_CHOICES.join(', ')} (auto: the fastest local engine that loads; same as --set engine=NAME; default tfjs)`)
    .option('--backend <name>', `one of ${BACKEND_CHOICES.join(', ')} (same as --set backend=NAME)`)
    .option('--engine-url <url>', 'the Tinker-API server of --engine tinker (same as --set remote.url=URL; key from TINKER_API_KEY)')
    .option('--base-model <name>', 'the base model of --engine tinker (default: the first the server lists)')
    .option('--lora-rank <r>', 'LoRA rank of --engine tinker (default 32)')
    .option('--tokenizer <dir>', "a local Hugging Face tokenizer folder (tokenizer.json, tokenizer_config.json): the remote model's own tokenizer and chat template (same as --set remote.tokenizer=DIR)")
    .option('-o, --out <dir>', 'run directory (default runs/<preset>-<seed>)')
    .action(async (flags: TrainFlags) => {
      const config = await configOf(flags);
      const dir = resolve(flags.out ?? `runs/${config.preset ?? 'custom'}-${config.seed}`);
      log(`run directory: ${dir}`);
      const result = await runTraining({ config, dir, resume: false, log });
      process.exitCode = result.exitCode;
    });

  program
    .command('resume')
    .description(commandDescription('resume'))
    .argument('<dir>', 'the run directory')
    .action(async (dir: string) => {
      const config = await readResolvedConfig(resolve(dir));
      if (E.isLeft(config)) throw new UsageError(`${dir}: ${config.left.problems.join('; ')}`);
      const result = await runTraining({ config: config.right, dir: resolve(dir), resume: true, log });
      process.exitCode = result.exitCode;
    });
};
