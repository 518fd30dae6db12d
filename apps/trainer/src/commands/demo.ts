/** `rlflow demo` (what `npm start` runs): SFT warm start → ACPO with held-out evaluations → report.md and report.json in runs/demo. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { BACKEND_CHOICES } from '@rlflow/policy';
import { DEMO_STEPS, describeEvaluation, runDemo } from '../demo/demo.js';
import { isLocalEngineName, LOCAL_ENGINE_NAMES } from '../engines.js';
import { UsageError } from '../main.js';
import { integerFlag } from './flags.js';

const DEMO_ENGINES = ['auto', ...LOCAL_ENGINE_NAMES] as const;
import { commandDescription, type RegisterCommand } from './index.js';

export const registerDemo: RegisterCommand = (program: Command) => {
  program
    .command('demo')
    .description(commandDescription('demo'))
    .option('-o, --out <dir>', 'output directory', 'runs/demo')
    .option('--steps <n>', 'RL steps', String(DEMO_STEPS))
    .option('--seed <s>', 'seed', '1')
    .option('--backend <name>', `one of ${BACKEND_CHOICES.join(', ')}`, 'auto')
    .option('--engine <name>', `a local engine or auto, one of ${DEMO_ENGINES.join(', ')} (auto: onnx where it loads, else tfjs, and the log says which)`, 'auto')
    .action(async (flags: { out: string; steps: string; seed: string; backend: string; engine: string }) => {
      const engine = flags.engine;
      if (engine !== 'auto' && !isLocalEngineName(engine)) throw new UsageError(`--engine ${JSON.stringify(engine)}: expected one of ${DEMO_ENGINES.join(', ')}`);
      const log = (line: string): void => void process.stderr.write(`${line}\n`);
      const result = await runDemo({
        out: resolve(flags.out),
        steps: integerFlag('steps', flags.steps, 1),
        seed: integerFlag('seed', flags.seed, 0),
        backend: flags.backend,
        engine,
        log,
      });
      process.stdout.write(
        `held-out accuracy: ${describeEvaluation(result.before)} (SFT warm start) → ${describeEvaluation(result.after)} (after ACPO), ` +
          `${result.seconds.toFixed(0)} s in all\nreport: ${result.reportPath}\n`,
      );
      process.exitCode = result.run.exitCode;
    });
};
