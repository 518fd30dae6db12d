/** The resolved configuration in the run directory (`DIR/config.json`), written atomically and read back decoded. */
import { readFile } from 'node:fs/promises';
import * as E from 'fp-ts/lib/Either.js';
import { writeFileAtomic } from '@rlflow/core';
import { runPaths } from '../run/layout.js';
import { ConfigError } from './errors.js';
import { decodeTrainConfig } from './schema.js';
import type { TrainConfig } from './types.js';

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

/**
 * A config.json written before a field existed, with the value that keeps that run's behaviour:
 * `remote.builtinLosses` false (such a run took the gradient-by-log-prob path on every update).
 */
export const withLaterFields = (value: unknown): unknown =>
  isObject(value) && isObject(value['remote']) && !('builtinLosses' in value['remote']) ? { ...value, remote: { ...value['remote'], builtinLosses: false } } : value;

export const writeResolvedConfig = async (dir: string, config: TrainConfig): Promise<void> =>
  writeFileAtomic(runPaths(dir).config, `${JSON.stringify(config, null, 2)}\n`);

export const readResolvedConfig = async (dir: string): Promise<E.Either<ConfigError, TrainConfig>> => {
  const path = runPaths(dir).config;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return E.left(new ConfigError([`${path}: cannot read the file (${error instanceof Error ? error.message : String(error)})`]));
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return E.left(new ConfigError([`${path}: ${error instanceof Error ? error.message : String(error)}`]));
  }
  const decoded = decodeTrainConfig(withLaterFields(value));
  return E.isLeft(decoded) ? E.left(new ConfigError(decoded.left.problems.map((p) => `${path}: ${p}`))) : decoded;
};
