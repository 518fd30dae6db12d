/**
 * `--set a.b=c` overrides: the path names an existing key of the configuration, the value is a
 * YAML scalar (number, boolean, null, string) or a flow list of them (`[1, 2, 3]`).
 */
import * as E from 'fp-ts/lib/Either.js';
import { parse as parseYaml } from 'yaml';
import { isPlainObject } from './codecs.js';
import { ConfigError, describeValue } from './errors.js';

export type ConfigScalar = number | boolean | string | null;
export type ConfigSetValue = ConfigScalar | readonly ConfigScalar[];

export interface ConfigOverride {
  /** The override as the user wrote it, for messages. */
  readonly text: string;
  readonly path: readonly string[];
  readonly value: ConfigSetValue;
}

const KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

const isScalar = (u: unknown): u is ConfigScalar => u === null || typeof u === 'number' || typeof u === 'boolean' || typeof u === 'string';

const firstLine = (message: string): string => (message.split('\n')[0] ?? message).replace(/:$/, '');

/** Parses one `path=value` override. */
export const parseSet = (text: string): E.Either<ConfigError, ConfigOverride> => {
  const at = text.indexOf('=');
  if (at < 0) return E.left(new ConfigError([`--set ${text}: expected path=value`]));
  const pathText = text.slice(0, at).trim();
  const valueText = text.slice(at + 1).trim();
  const path = pathText.split('.');
  if (pathText === '' || !path.every((key) => KEY.test(key))) {
    return E.left(new ConfigError([`--set ${text}: ${JSON.stringify(pathText)} is not a dotted key path`]));
  }
  if (valueText === '') return E.left(new ConfigError([`--set ${text}: no value after "=" (write null for null)`]));
  let value: unknown;
  try {
    value = parseYaml(valueText);
  } catch (error) {
    return E.left(new ConfigError([`--set ${text}: ${firstLine(error instanceof Error ? error.message : String(error))}`]));
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return E.left(new ConfigError([`--set ${text}: expected a finite number, found ${describeValue(value)}`]));
  if (isScalar(value)) return E.right({ text, path, value });
  if (Array.isArray(value) && value.every(isScalar)) return E.right({ text, path, value: value as readonly ConfigScalar[] });
  return E.left(new ConfigError([`--set ${text}: expected a scalar or a list of scalars, found ${describeValue(value)}`]));
};

/** Sets the override's value in a copy of `config`; the path must already exist there. */
export const applySet =
  (override: ConfigOverride) =>
  (config: unknown): E.Either<ConfigError, unknown> => {
    const dotted = override.path.join('.');
    if (override.path[0] === 'preset') return E.left(new ConfigError([`preset: cannot be changed with --set (choose the preset with --preset)`]));
    const set = (node: unknown, depth: number): unknown => {
      const key = override.path[depth]!;
      if (!isPlainObject(node) || !Object.hasOwn(node, key)) return undefined;
      const child = depth === override.path.length - 1 ? override.value : set(node[key], depth + 1);
      if (child === undefined) return undefined;
      const out: Record<string, unknown> = { ...node };
      Object.defineProperty(out, key, { value: child, enumerable: true, writable: true, configurable: true });
      return out;
    };
    const result = set(config, 0);
    return result === undefined ? E.left(new ConfigError([`${dotted}: unknown key (from --set ${override.text})`])) : E.right(result);
  };
