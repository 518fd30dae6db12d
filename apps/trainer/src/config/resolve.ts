/**
 * Builds the training configuration from its layers, last wins:
 * defaults ◁ preset ◁ user file ◁ `--set` overrides (in the order given); then decodes it.
 * A user file may name its preset with a top-level `preset:` key.
 */
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { loadPresetSource } from '../presets/index.js';
import { DEFAULT_CONFIG } from './defaults.js';
import { ConfigError } from './errors.js';
import { deepMerge } from './merge.js';
import { decodeTrainConfig } from './schema.js';
import { applySet, parseSet } from './set.js';
import { parseConfigText, readConfigSource, type ConfigSource } from './source.js';
import type { TrainConfig } from './types.js';

export interface ResolveConfigOptions {
  /** A preset name (see PRESET_NAMES). */
  readonly preset?: string;
  /** The user's configuration file, already read (see `readConfigSource`). */
  readonly file?: ConfigSource;
  /** `path=value` overrides, applied in order. */
  readonly sets: readonly string[];
}

const choosePreset = (asked: string | undefined, fileValue: Record<string, unknown>, fileName: string): E.Either<ConfigError, unknown> => {
  const named = fileValue['preset'];
  if (asked !== undefined && named !== undefined && named !== null && named !== asked) {
    return E.left(new ConfigError([`preset: ${fileName} is built on preset ${JSON.stringify(named)} but preset ${JSON.stringify(asked)} was asked for`]));
  }
  return E.right(asked ?? named ?? null);
};

const presetLayer = (name: unknown): E.Either<ConfigError, Record<string, unknown>> =>
  name === null ? E.right({}) : pipe(loadPresetSource(name), E.flatMap(parseConfigText));

/** Applies every override it can; the problems of those it cannot (bad syntax, unknown path) are collected. */
const applySets = (config: unknown, sets: readonly string[]): { readonly config: unknown; readonly problems: readonly string[] } =>
  sets.reduce<{ config: unknown; problems: readonly string[] }>(
    (acc, text) =>
      pipe(
        parseSet(text),
        E.flatMap((override) => applySet(override)(acc.config)),
        E.match(
          (error) => ({ config: acc.config, problems: [...acc.problems, ...error.problems] }),
          (config) => ({ config, problems: acc.problems }),
        ),
      ),
    { config, problems: [] },
  );

export const resolveConfig = (options: ResolveConfigOptions): E.Either<ConfigError, TrainConfig> =>
  pipe(
    options.file === undefined ? E.right({}) : parseConfigText(options.file),
    E.bindTo('fileValue'),
    E.bind('presetName', ({ fileValue }) => choosePreset(options.preset, fileValue, options.file?.name ?? '')),
    E.bind('presetValue', ({ presetName }) => presetLayer(presetName)),
    E.flatMap(({ fileValue, presetName, presetValue }) => {
      const merged = deepMerge(deepMerge(deepMerge(DEFAULT_CONFIG, presetValue), fileValue), { preset: presetName });
      const { config, problems } = applySets(merged, options.sets);
      const decoded = decodeTrainConfig(config);
      const all = [...problems, ...(E.isLeft(decoded) ? decoded.left.problems : [])];
      return all.length > 0 ? E.left(new ConfigError(all)) : decoded;
    }),
  );

/** `resolveConfig` with the user's file read from `path` (when given). */
export const resolveConfigFile = async (options: { readonly preset?: string; readonly path?: string; readonly sets: readonly string[] }): Promise<E.Either<ConfigError, TrainConfig>> => {
  if (options.path === undefined) return resolveConfig({ ...(options.preset === undefined ? {} : { preset: options.preset }), sets: options.sets });
  const source = await readConfigSource(options.path);
  return E.isLeft(source) ? source : resolveConfig({ ...(options.preset === undefined ? {} : { preset: options.preset }), file: source.right, sets: options.sets });
};
