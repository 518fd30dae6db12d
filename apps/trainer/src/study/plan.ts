/**
 * The grid of a study: presets × seeds 0…N−1, each cell one training run in
 * `OUT/runs/<preset>-seed<s>`, its configuration resolved as `rlflow train --preset P --set …
 * --steps T --seed s` would resolve it. Cells run seed by seed (every preset on seed 0, then on
 * seed 1, …), and a cell's configuration does not depend on N, so a study cut short can be
 * reported with fewer seeds (`--seeds` smaller, the finished cells skipped). Every configuration is decoded before any run starts, so
 * a bad preset or `--set` fails the study at once, naming the field.
 */
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { ConfigError, PRESET_NAMES, resolveConfig, type TrainConfig } from '../config/index.js';

export interface StudyPlanOptions {
  readonly presets: readonly string[];
  /** How many seeds: 0 … seeds − 1. */
  readonly seeds: number;
  /** Steps per run; the presets' default when absent. */
  readonly steps?: number;
  /** `path=value` overrides applied to every run, before steps and seed. */
  readonly sets: readonly string[];
  readonly out: string;
}

export interface StudyCell {
  readonly preset: string;
  readonly seed: number;
  /** The run directory relative to the study directory. */
  readonly name: string;
  readonly dir: string;
  readonly config: TrainConfig;
}

export interface StudyPlan {
  readonly out: string;
  readonly presets: readonly string[];
  readonly seeds: readonly number[];
  readonly cells: readonly StudyCell[];
  /** Steps of all runs together. */
  readonly totalSteps: number;
}

export const cellName = (preset: string, seed: number): string => join('runs', `${preset}-seed${seed}`);

export const planStudy = (options: StudyPlanOptions): E.Either<ConfigError, StudyPlan> => {
  const problems: string[] = [];
  if (options.presets.length === 0) problems.push('presets: expected at least one preset');
  const repeated = options.presets.filter((p, i) => options.presets.indexOf(p) !== i);
  if (repeated.length > 0) problems.push(`presets: ${[...new Set(repeated)].join(', ')} listed more than once`);
  for (const preset of options.presets) {
    if (!(PRESET_NAMES as readonly string[]).includes(preset)) problems.push(`presets: unknown preset ${JSON.stringify(preset)} (expected ${PRESET_NAMES.join(', ')})`);
  }
  if (!Number.isSafeInteger(options.seeds) || options.seeds < 1) problems.push(`seeds: expected an integer ≥ 1, found ${options.seeds}`);
  if (problems.length > 0) return E.left(new ConfigError(problems));
  const seeds = Array.from({ length: options.seeds }, (_, i) => i);
  const cells: StudyCell[] = [];
  for (const seed of seeds) {
    for (const preset of options.presets) {
      const resolved = resolveConfig({
        preset,
        sets: [...options.sets, ...(options.steps === undefined ? [] : [`steps=${options.steps}`]), `seed=${seed}`],
      });
      if (E.isLeft(resolved)) {
        problems.push(...resolved.left.problems.map((p) => `${preset}: ${p}`));
        continue;
      }
      const name = cellName(preset, seed);
      cells.push({ preset, seed, name, dir: join(options.out, name), config: resolved.right });
    }
  }
  if (problems.length > 0) return E.left(new ConfigError([...new Set(problems)]));
  return E.right({ out: options.out, presets: options.presets, seeds, cells, totalSteps: cells.reduce((n, c) => n + c.config.steps, 0) });
};
