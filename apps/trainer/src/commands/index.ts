/** Every subcommand registers itself on the program; add a command by adding its file here. */
import type { Command } from 'commander';
import { registerEval } from './eval.js';
import { registerScore } from './score.js';
import { registerCompare } from './compare.js';
import { registerTasks } from './tasks.js';
import { registerSft } from './sft.js';
import { registerTrain } from './train.js';
import { registerDemo } from './demo.js';
import { registerEvalLocal } from './eval-local.js';
import { registerBench } from './bench.js';

export type RegisterCommand = (program: Command) => void;

export const commands: readonly RegisterCommand[] = [
  registerEval,
  registerScore,
  registerCompare,
  registerTasks,
  registerSft,
  registerTrain,
  registerDemo,
  registerEvalLocal,
  registerBench,
];
