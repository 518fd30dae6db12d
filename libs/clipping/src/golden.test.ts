/**
 * This library's golden cases (docs/algorithms.md, "Golden cases"), run from its own suite too, so
 * they are checked even when another library's registry is missing from the central one.
 */
import { describe, expect, it } from 'vitest';
import { loadVectorFiles, type VectorCase } from '@rlflow/core/testing';
import { golden } from './golden.js';

const files = loadVectorFiles().filter((file) => file.stage in golden);

describe('clipping golden cases (plain forms to 1e-9)', () => {
  it('finds a case file for every registered stage', () => {
    expect(files.map((f) => f.stage).sort()).toEqual(Object.keys(golden).sort());
  });

  for (const file of files) {
    const check = golden[file.stage]!;
    it(`${file.stage}: all ${file.cases.length} cases`, async () => {
      for (const testCase of file.cases) await check(testCase);
    });

    it(`${file.stage}: a case with a moved expected value fails`, async () => {
      const first = file.cases[0]!;
      const key = Object.keys(first.expected)[0]!;
      const moved = (value: unknown): unknown =>
        typeof value === 'number' ? value + 1 + Math.abs(value) : Array.isArray(value) ? [moved(value[0]), ...value.slice(1)] : value;
      const bad: VectorCase = { ...first, expected: { ...first.expected, [key]: moved(first.expected[key]) } };
      await expect(Promise.resolve().then(() => check(bad))).rejects.toThrow(/mismatch/);
    });
  }
});
