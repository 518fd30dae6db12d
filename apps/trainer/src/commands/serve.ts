/**
 * `rlflow serve [--port P] [--host H] [--init sft|scratch|DIR] [--seed S] [--preset P | --config F] [--set a.b=c]…`:
 * rlflow's Tinker-compatible training server (serve/server.ts) over the TensorFlow.js engine and
 * the built-in model. Its base model's initial policy is the one `rlflow train` would start from
 * with the same config (init, seed), so a run through it can be compared with a local one.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import * as E from 'fp-ts/lib/Either.js';
import { EOS_ID, geometry, readPolicyWeights, type PolicyConfig } from '@rlflow/policy';
import { resolveConfigFile } from '../config/index.js';
import { loadEngineFactory } from '../engines.js';
import { UsageError } from '../main.js';
import { initialEngineInit } from '../pipeline/checkpoint.js';
import { TinkerServer } from '../serve/server.js';
import { SFT_POLICY_CONFIG } from '../sft/index.js';
import { integerFlag } from './flags.js';
import { commandDescription, type RegisterCommand } from './index.js';

export const DEFAULT_BASE_MODEL = 'rlflow/builtin-vlm';

interface ServeFlags {
  readonly port: string;
  readonly host: string;
  readonly preset?: string;
  readonly config?: string;
  readonly set: string[];
  readonly init?: string;
  readonly seed?: string;
  readonly backend?: string;
  readonly stateDir: string;
  readonly baseModel: string;
  readonly longPollMs: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

export const registerServe: RegisterCommand = (program: Command) => {
  program
    .command('serve')
    .description(commandDescription('serve'))
    .option('--port <n>', 'port to listen on (0 picks a free one)', '8000')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('-p, --preset <name>', 'the config whose init, seed, backend and micro-batch size the base model takes')
    .option('-c, --config <file>', 'configuration file (JSON or YAML)')
    .option('--set <path=value>', 'override one config value (repeatable)', collect, [])
    .option('--init <what>', 'the base model: sft (the warm start, default), scratch, or a checkpoint directory')
    .option('--seed <s>', 'run seed (scratch init draws from it)')
    .option('--backend <name>', 'TensorFlow.js backend')
    .option('--state-dir <dir>', 'where saved weights live (they outlive a restart)', '.rlflow-serve')
    .option('--base-model <name>', 'the name clients ask for', DEFAULT_BASE_MODEL)
    .option('--long-poll-ms <n>', 'how long retrieve_future waits before answering try_again', '25000')
    .action(async (flags: ServeFlags) => {
      const port = integerFlag('port', flags.port, 0, 65535);
      const longPollMs = integerFlag('long-poll-ms', flags.longPollMs, 1, 40_000);
      const sets = [
        ...flags.set,
        ...(flags.init === undefined ? [] : [`init=${flags.init}`]),
        ...(flags.seed === undefined ? [] : [`seed=${flags.seed}`]),
        ...(flags.backend === undefined ? [] : [`backend=${flags.backend}`]),
      ];
      const config = await resolveConfigFile({ ...(flags.preset === undefined ? {} : { preset: flags.preset }), ...(flags.config === undefined ? {} : { path: flags.config }), sets });
      if (E.isLeft(config)) throw new UsageError(`invalid configuration:\n  ${config.left.problems.join('\n  ')}`);
      const init = await initialEngineInit(config.right, log);
      let policy: PolicyConfig = SFT_POLICY_CONFIG;
      if (init.kind === 'weights') {
        const stored = await readPolicyWeights(init.dir);
        const nested = E.isLeft(stored) ? await readPolicyWeights(resolve(init.dir, 'policy')) : stored;
        if (E.isLeft(nested)) throw new UsageError(`--init ${init.dir}: ${nested.left.message}`);
        policy = nested.right.config;
      }
      const server = new TinkerServer({
        factory: await loadEngineFactory('tfjs'),
        init,
        model: init.kind === 'seed' ? SFT_POLICY_CONFIG : undefined,
        baseModel: flags.baseModel,
        tokenBudget: config.right.optimizer.microBatchTokens,
        device: config.right.backend,
        stateDir: resolve(flags.stateDir),
        eosTokenId: EOS_ID,
        imageTokens: geometry(policy).imageTokens,
        longPollMs,
        log,
      });
      const bound = await server.listen(port, flags.host);
      log(`rlflow serve: ${flags.baseModel} on http://${flags.host}:${bound}/api/v1 (state in ${resolve(flags.stateDir)})`);
      process.stdout.write(`listening ${bound}\n`);
      // The command runs until SIGINT or SIGTERM (rlflow's entry point exits when the action returns).
      await new Promise<void>((done) => {
        const stop = (signal: NodeJS.Signals): void => {
          log(`${signal}: closing (saved weights stay in ${resolve(flags.stateDir)})`);
          void server.close().then(done);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
};
