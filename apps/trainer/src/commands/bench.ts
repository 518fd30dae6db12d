/**
 * `rlflow bench [--backend B] [--json FILE]`: the engine benchmark (tools/src/bench-model.ts);
 * `rlflow bench stages [--json FILE]`: grpo → aaac → ppo over a 1M-token batch, plain and tensor
 * forms (tools/src/bench-stages.ts). `npm run bench` runs the first.
 */
import type { Command } from 'commander';
import { BACKEND_CHOICES, isBackendChoice } from '@rlflow/policy';
import { runModelBench, runStagesBench } from '@rlflow/tools';
import { UsageError } from '../main.js';
import type { RegisterCommand } from './index.js';

export const registerBench: RegisterCommand = (program: Command) => {
  program
    .command('bench')
    .description('benchmark the engine on the default model (or, with "stages", the algorithm stages)')
    .argument('[what]', '"model" (default) or "stages"', 'model')
    .option('--backend <name>', `one of ${BACKEND_CHOICES.join(', ')}`, 'auto')
    .option('--json <file>', 'also write the figures as JSON')
    .action(async (what: string, flags: { backend: string; json?: string }) => {
      if (!isBackendChoice(flags.backend)) throw new UsageError(`--backend ${JSON.stringify(flags.backend)}: expected one of ${BACKEND_CHOICES.join(', ')}`);
      const json = flags.json === undefined ? {} : { json: flags.json };
      if (what === 'stages') await runStagesBench(json);
      else if (what === 'model') await runModelBench({ backend: flags.backend, ...json });
      else throw new UsageError(`bench ${JSON.stringify(what)}: expected "model" or "stages"`);
    });
};
