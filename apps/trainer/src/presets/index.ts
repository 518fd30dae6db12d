/**
 * Algorithm presets: partial configurations in `apps/trainer/presets/<name>.yaml`, merged over the
 * defaults and under the user's file and `--set` overrides. docs/presets.md says what each follows.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { ConfigError, describeValue } from '../config/errors.js';
import type { ConfigSource } from '../config/source.js';
import { PRESET_NAMES, type PresetName } from '../config/types.js';

export const PRESET_DIR = fileURLToPath(new URL('../../presets/', import.meta.url));

export const presetPath = (name: PresetName): string => fileURLToPath(new URL(`../../presets/${name}.yaml`, import.meta.url));

export const isPresetName = (u: unknown): u is PresetName => typeof u === 'string' && (PRESET_NAMES as readonly string[]).includes(u);

const cache = new Map<PresetName, ConfigSource>();

/** The preset's YAML text; the files ship with the package and are read once. */
export const loadPresetSource = (name: unknown): E.Either<ConfigError, ConfigSource> => {
  if (!isPresetName(name)) {
    return E.left(new ConfigError([`preset: expected one of ${PRESET_NAMES.map((p) => JSON.stringify(p)).join(', ')}, found ${describeValue(name)}`]));
  }
  const cached = cache.get(name);
  if (cached !== undefined) return E.right(cached);
  const path = presetPath(name);
  try {
    const source = { name: path, text: readFileSync(path, 'utf8') };
    cache.set(name, source);
    return E.right(source);
  } catch (error) {
    return E.left(new ConfigError([`${path}: cannot read the preset (${error instanceof Error ? error.message : String(error)})`]));
  }
};
