/**
 * The tensor forms' golden cases (docs/algorithms.md, "Golden cases"), run from this library's own
 * suite too: the same stages and files as @rlflow/clipping's plain registry.
 */
import { describe, expect, it } from 'vitest';
import { loadVectorFiles, type VectorCase } from '@rlflow/core/testing';
import { golden as plainGolden } from '@rlflow/clipping/golden';
import { tensorGolden } from './golden.js';

const files = loadVectorFiles().filter((file) => file.stage in tensorGolden);

describe('tensor golden cases (float32 tolerance, gradients by autodiff)', () => {
  it('registers exactly the stages of the plain registry, and finds a case file for each', () => {
    expect(Object.keys(tensorGolden).sort()).toEqual(Object.keys(plainGolden).sort());
    expect(files.map((f) => f.stage).sort()).toEqual(Object.keys(tensorGolden).sort());
  });

  for (const file of files) {
    const check = tensorGolden[file.stage]!;
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
