/**
 * Deep merge of configuration layers: plain objects merge key by key, anything else (numbers,
 * strings, null, lists) in `override` replaces what `base` holds; `undefined` leaves it. Neither
 * input is modified. Keys are copied as own properties, so a `__proto__` key in a YAML file stays
 * data (and is then rejected as an unknown key) instead of changing a prototype.
 */
import { isPlainObject } from './codecs.js';

const setOwn = (target: Record<string, unknown>, key: string, value: unknown): void => {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
};

const clone = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(clone);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) setOwn(out, key, clone(value[key]));
  return out;
};

export const deepMerge = (base: unknown, override: unknown): unknown => {
  if (override === undefined) return clone(base);
  if (!isPlainObject(base) || !isPlainObject(override)) return clone(override);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(base)) setOwn(out, key, clone(base[key]));
  for (const key of Object.keys(override)) {
    setOwn(out, key, Object.hasOwn(base, key) ? deepMerge(base[key], override[key]) : clone(override[key]));
  }
  return out;
};
