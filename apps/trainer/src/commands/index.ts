/**
 * The subcommands: each one's name and description (listed by `rlflow --help` without loading
 * anything), and the module that registers it, loaded only when that subcommand runs, so that
 * `rlflow score` never loads TensorFlow.js. Add a command by adding its file and an entry here.
 */
import type { Command } from 'commander';

export type RegisterCommand = (program: Command) => void;

/** Each command module and how to load its `register` function; one module may register several commands. */
const MODULES = {
  eval: async () => (await import('./eval.js')).registerEval,
  score: async () => (await import('./score.js')).registerScore,
  compare: async () => (await import('./compare.js')).registerCompare,
  tasks: async () => (await import('./tasks.js')).registerTasks,
  sft: async () => (await import('./sft.js')).registerSft,
  train: async () => (await import('./train.js')).registerTrain,
  demo: async () => (await import('./demo.js')).registerDemo,
  'eval-local': async () => (await import('./eval-local.js')).registerEvalLocal,
  bench: async () => (await import('./bench.js')).registerBench,
  serve: async () => (await import('./serve.js')).registerServe,
  study: async () => (await import('./study.js')).registerStudy,
} as const satisfies Record<string, () => Promise<RegisterCommand>>;

export type CommandModule = keyof typeof MODULES;

export interface CommandEntry {
  readonly name: string;
  readonly description: string;
  /** The module that registers the command. */
  readonly module: CommandModule;
}

/** Every subcommand, in the order `rlflow --help` lists them. */
export const COMMANDS = [
  { name: 'eval', module: 'eval', description: 'evaluate a model behind an OpenAI-compatible endpoint on MathVista, LogicVista or MMMU-Pro (resumable)' },
  { name: 'score', module: 'score', description: "re-score a benchmark's official output file with the ported official scorer" },
  { name: 'compare', module: 'compare', description: 'compare training runs (grouped by algorithm, several seeds each): report.md and SVG plots' },
  { name: 'tasks', module: 'tasks', description: 'write sample problems of the synthetic visual-reasoning suite: PNGs a person can read and a JSONL' },
  {
    name: 'sft',
    module: 'sft',
    description: 'train (or reuse) the supervised warm start: the built-in model on reference solutions, evaluated per level on held-out problems',
  },
  { name: 'train', module: 'train', description: 'train the built-in vision-language policy with an RL algorithm preset or config file' },
  { name: 'resume', module: 'train', description: 'continue a run from its latest complete checkpoint (exactly as if it had not stopped)' },
  {
    name: 'study',
    module: 'study',
    description: 'run the grid presets × seeds (resumable; finished runs skipped) and write study.md, study.json and plots with across-seed statistics',
  },
  {
    name: 'demo',
    module: 'demo',
    description: 'the end-to-end demo: SFT warm start (cached), ACPO training with held-out test evaluations during the run, runs/demo/report.md and report.json',
  },
  {
    name: 'eval-local',
    module: 'eval-local',
    description: 'evaluate an rlflow checkpoint on the held-out suite (greedy or avg@k) or greedily on a JSONL/Parquet dataset',
  },
  {
    name: 'serve',
    module: 'serve',
    description: 'serve the built-in model over the Tinker training API (JSON), for --engine tinker and Tinker SDK clients',
  },
  { name: 'bench', module: 'bench', description: 'benchmark the engine on the default model (or, with "stages", the algorithm stages)' },
] as const satisfies readonly CommandEntry[];

export type CommandName = (typeof COMMANDS)[number]['name'];

/** The description of a command, for its module's `.description(…)`: written once, here. */
export const commandDescription = (name: CommandName): string => COMMANDS.find((entry) => entry.name === name)!.description;

export const loadCommandModule = (module: CommandModule): Promise<RegisterCommand> => MODULES[module]();

/**
 * The subcommand `argv` runs (`rlflow NAME …`, or `rlflow help NAME`), or undefined when it names
 * none (`rlflow --help`, `rlflow --version`, an unknown name).
 */
export const invokedCommand = (argv: readonly string[]): CommandEntry | undefined => {
  const first = argv.findIndex((arg) => !arg.startsWith('-'));
  const name = argv[first] === 'help' ? argv[first + 1] : argv[first];
  return COMMANDS.find((entry) => entry.name === name);
};

/**
 * Registers every subcommand on `program`: the one `argv` runs in full (its module loaded), every
 * other as its name and description only, which is all `--help` shows of it.
 */
export const registerCommands = async (program: Command, argv: readonly string[]): Promise<void> => {
  const invoked = invokedCommand(argv);
  const register = invoked === undefined ? undefined : await loadCommandModule(invoked.module);
  const has = (name: string): boolean => program.commands.some((command) => command.name() === name);
  for (const entry of COMMANDS) {
    if (has(entry.name)) continue;
    if (register !== undefined && entry.module === invoked?.module) register(program);
    if (!has(entry.name)) program.command(entry.name).description(entry.description);
  }
};
