/**
 * A stand-in training loop for the signal tests: steps of `argv[2]` ms; after each step it checks
 * the stop flag and, when set, "checkpoints" (prints a line) and exits with the signal's code.
 */
import { installStopHandler } from './signals.js';

const stepMs = Number(process.argv[2] ?? '50');
const handler = installStopHandler({ onSignal: (signal) => process.stdout.write(`received ${signal}\n`) });
let step = 0;

const runStep = (): void => {
  step++;
  setTimeout(() => {
    const code = handler.exitCode();
    if (code !== null) {
      process.stdout.write(`checkpoint after step ${step}\n`);
      process.exit(code);
    }
    if (step < 10_000) runStep();
  }, stepMs);
};

process.stdout.write('ready\n');
runStep();
