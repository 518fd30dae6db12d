/**
 * Configuration text from a file or a preset: JSON when the name ends in `.json`, YAML otherwise.
 * The top level must be a mapping; an empty document is an empty mapping.
 */
import { readFile } from 'node:fs/promises';
import * as E from 'fp-ts/lib/Either.js';
import { parse as parseYaml } from 'yaml';
import { isPlainObject } from './codecs.js';
import { ConfigError, describeValue } from './errors.js';

export interface ConfigSource {
  /** The file name or preset label, for messages; `.json` selects the JSON parser. */
  readonly name: string;
  readonly text: string;
}

const firstLine = (message: string): string => (message.split('\n')[0] ?? message).replace(/:$/, '');

export const parseConfigText = (source: ConfigSource): E.Either<ConfigError, Record<string, unknown>> => {
  let value: unknown;
  try {
    value = source.name.toLowerCase().endsWith('.json') ? JSON.parse(source.text) : parseYaml(source.text, { uniqueKeys: true });
  } catch (error) {
    return E.left(new ConfigError([`${source.name}: ${firstLine(error instanceof Error ? error.message : String(error))}`]));
  }
  if (value === null || value === undefined) return E.right({});
  return isPlainObject(value) ? E.right(value) : E.left(new ConfigError([`${source.name}: expected a mapping at the top level, found ${describeValue(value)}`]));
};

export const readConfigSource = async (path: string): Promise<E.Either<ConfigError, ConfigSource>> => {
  try {
    return E.right({ name: path, text: await readFile(path, 'utf8') });
  } catch (error) {
    return E.left(new ConfigError([`${path}: cannot read the file (${error instanceof Error ? error.message : String(error)})`]));
  }
};
