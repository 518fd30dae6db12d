/**
 * The contract between a library and the golden-case suite: each library exports a
 * `GoldenRegistry` mapping stage names (the `stage` field of a vectors file) to a checker
 * that runs one case and throws on any mismatch. The suite (`tools/src/golden.vectors.test.ts`)
 * runs every case of every file, and a file whose stage no registry claims fails.
 */
import type { VectorCase } from './vectors.js';

export type GoldenChecker = (testCase: VectorCase) => void | Promise<void>;
export type GoldenRegistry = Readonly<Record<string, GoldenChecker>>;

const fail = (where: string, what: string, found: unknown): never => {
  throw new Error(`golden case field ${where}: expected ${what}, found ${JSON.stringify(found)?.slice(0, 80)}`);
};

/** Readers for case fields; a field of the wrong shape fails the case with its name. */
export const field = {
  number: (record: Readonly<Record<string, unknown>>, key: string): number => {
    const v = record[key];
    return typeof v === 'number' ? v : fail(key, 'a number', v);
  },
  numberOrNull: (record: Readonly<Record<string, unknown>>, key: string): number | null => {
    const v = record[key];
    return v === null || v === undefined ? null : typeof v === 'number' ? v : fail(key, 'a number or null', v);
  },
  string: (record: Readonly<Record<string, unknown>>, key: string): string => {
    const v = record[key];
    return typeof v === 'string' ? v : fail(key, 'a string', v);
  },
  vector: (record: Readonly<Record<string, unknown>>, key: string): number[] => {
    const v = record[key];
    return Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : fail(key, 'an array of numbers', v);
  },
  vectorOrNull: (record: Readonly<Record<string, unknown>>, key: string): number[] | null => {
    const v = record[key];
    return v === null || v === undefined ? null : field.vector(record, key);
  },
  matrix: (record: Readonly<Record<string, unknown>>, key: string): number[][] => {
    const v = record[key];
    return Array.isArray(v) && v.every((row) => Array.isArray(row) && row.every((x) => typeof x === 'number'))
      ? (v as number[][])
      : fail(key, 'an array of arrays of numbers', v);
  },
  booleans: (record: Readonly<Record<string, unknown>>, key: string): boolean[] => {
    const v = record[key];
    return Array.isArray(v) && v.every((x) => typeof x === 'boolean') ? (v as boolean[]) : fail(key, 'an array of booleans', v);
  },
};
