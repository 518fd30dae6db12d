/**
 * The golden-case suite: every case of every `*.json` in RLFLOW_VECTORS_DIR (else
 * fixtures/vectors) against every checker registered under the file's `stage` name: the plain
 * form of the stage (@rlflow/advantage, @rlflow/clipping, @rlflow/curriculum) and, for the
 * clipping stages, its tensor form too (@rlflow/policy/tensor). A file whose stage no library
 * registers fails, and so does a corrupted case, under each checker.
 */
import { describe, expect, it } from 'vitest';
import { loadVectorFiles, vectorsDir, type GoldenChecker, type GoldenRegistry, type VectorCase } from '@rlflow/core/testing';
import { golden as advantageGolden } from '@rlflow/advantage/golden';
import { golden as clippingGolden } from '@rlflow/clipping/golden';
import { golden as curriculumGolden } from '@rlflow/curriculum/golden';
import { tensorGolden } from '@rlflow/policy/tensor/golden';

const registries: ReadonlyArray<readonly [string, GoldenRegistry]> = [
  ['plain', advantageGolden],
  ['plain', clippingGolden],
  ['plain', curriculumGolden],
  ['tensor', tensorGolden],
];
const checkers: Readonly<Record<string, ReadonlyArray<readonly [string, GoldenChecker]>>> = registries.reduce<Record<string, Array<readonly [string, GoldenChecker]>>>(
  (byStage, [form, registry]) => {
    for (const [stage, check] of Object.entries(registry)) (byStage[stage] ??= []).push([form, check]);
    return byStage;
  },
  {},
);

const files = loadVectorFiles();

/** A copy of a case whose first expected number is moved well outside any tolerance. */
const corrupt = (testCase: VectorCase): VectorCase | undefined => {
  const expected = structuredClone(testCase.expected) as Record<string, unknown>;
  const bump = (value: unknown): { done: boolean; value: unknown } => {
    if (typeof value === 'number') return { done: true, value: value + 1 + Math.abs(value) };
    if (typeof value === 'boolean') return { done: true, value: !value };
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const r = bump(value[i]);
        if (r.done) {
          value[i] = r.value;
          return { done: true, value };
        }
      }
    }
    return { done: false, value };
  };
  for (const key of Object.keys(expected)) {
    const r = bump(expected[key]);
    if (r.done) {
      expected[key] = r.value;
      return { ...testCase, expected };
    }
  }
  return undefined;
};

describe(`golden cases in ${vectorsDir()}`, () => {
  it('finds case files', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it('checks every clipping stage in both its plain and its tensor form', () => {
    expect(Object.keys(tensorGolden).sort()).toEqual(Object.keys(clippingGolden).sort());
  });

  for (const file of files) {
    describe(`${file.stage} (${file.file})`, () => {
      it('names a stage some library implements', () => {
        expect(Object.keys(checkers), `no library registers stage "${file.stage}"`).toContain(file.stage);
      });

      for (const [form, check] of checkers[file.stage] ?? []) {
        it.each(file.cases.map((c) => [c.name, c] as const))(`${form}: %s`, async (_name, testCase) => {
          await check(testCase);
        });

        it(`${form}: rejects a corrupted case`, async () => {
          const first = file.cases[0];
          const bad = first === undefined ? undefined : corrupt(first);
          expect(bad, 'the file has no case with a number or boolean to corrupt').toBeDefined();
          await expect(Promise.resolve().then(() => check(bad!))).rejects.toThrow();
        });
      }
    });
  }
});
