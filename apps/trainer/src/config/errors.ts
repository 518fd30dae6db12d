/**
 * The error of every configuration boundary (files, presets, `--set`, decoding): a list of
 * problems, one line each, of the form `path.to.field: expected …, found …`.
 */
import type * as t from 'io-ts';

export class ConfigError extends Error {
  readonly _tag = 'ConfigError' as const;

  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

export const isConfigError = (u: unknown): u is ConfigError => u instanceof ConfigError;

/** A value as it appears in a message: JSON for data, `nothing` for a missing value. */
export const describeValue = (u: unknown): string => {
  if (u === undefined) return 'nothing';
  if (typeof u === 'number') return String(u);
  const json = JSON.stringify(u);
  return json === undefined ? String(u) : json.length > 80 ? `${json.slice(0, 77)}...` : json;
};

/** Dotted path of a field with list indices in brackets: `rollout.levels[2]`, `(root)` for the whole value. */
export const formatPath = (keys: readonly string[]): string => {
  const path = keys.reduce((acc, key) => (/^\d+$/.test(key) ? `${acc}[${key}]` : acc === '' ? key : `${acc}.${key}`), '');
  return path === '' ? '(root)' : path;
};

export const contextPath = (context: t.Context): string =>
  formatPath(
    context
      .slice(1)
      .map((entry) => entry.key)
      .filter((key) => key !== ''),
  );

/** One line per failing field: `path: expected <codec name>, found <value>`, or `path: <message>`. */
export const formatConfigErrors = (errors: t.Errors): string[] => {
  const lines = errors.map((error) => {
    const path = contextPath(error.context);
    if (error.message !== undefined) return `${path}: ${error.message}`;
    const expected = error.context[error.context.length - 1]?.type.name ?? 'a valid value';
    return `${path}: expected ${expected}, found ${describeValue(error.value)}`;
  });
  return [...new Set(lines)];
};
