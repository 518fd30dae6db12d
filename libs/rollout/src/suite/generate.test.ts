import * as E from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FAMILIES,
  LEVELS,
  MAX_PROMPT_CHARS,
  MAX_QUESTION_CHARS,
  MAX_SOLUTION_TOKENS,
  MODEL_IMAGE_SIZE,
  SUITE_CHARACTERS,
  type Family,
  type Level,
  type Problem,
  SPLITS,
  type Split,
} from './problem.js';
import { Rng } from '@rlflow/core';
import { GENERATORS, generateProblem, problemSource, sampleProblems } from './generate.js';
import { bucketOfKey, contentKey, splitOf, splitOfKey, TEST_PERCENT, VALIDATION_PERCENT } from './split.js';
import { problemPrompt } from './prompt.js';
import { countResponseTokens, RESPONSE_TAGS } from '../reward/format.js';

const get = (family: Family, level: Level, split: Split, seed: number): Problem => {
  const result = generateProblem(family, level, split, seed);
  if (E.isLeft(result)) throw result.left;
  return result.right;
};

const SEEDS = 40;
const all = (split: Split): Problem[] =>
  FAMILIES.flatMap((family) => LEVELS.flatMap((level) => Array.from({ length: SEEDS }, (_, seed) => get(family, level, split, seed))));

const train = all('train');
const validation = all('validation');
const test = all('test');

describe('generateProblem', () => {
  it('is a function of (family, level, split, seed)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FAMILIES), fc.constantFrom(...LEVELS), fc.constantFrom<Split>(...SPLITS), fc.nat(), (family, level, split, seed) => {
        const a = get(family, level, split, seed);
        const b = get(family, level, split, seed);
        expect(b).toEqual(a);
        expect(Array.from(b.image.data)).toEqual(Array.from(a.image.data));
      }),
      { numRuns: 60 },
    );
  });

  it('gives different seeds different problems', () => {
    for (const family of FAMILIES) {
      const ids = new Set(Array.from({ length: 30 }, (_, seed) => get(family, 3, 'train', seed).id));
      expect(ids.size, family).toBeGreaterThan(25);
    }
  });

  it('keeps the train, validation and test splits disjoint, by content', () => {
    const keys = { train: new Set(train.map(contentKey)), validation: new Set(validation.map(contentKey)), test: new Set(test.map(contentKey)) };
    for (const a of SPLITS) for (const b of SPLITS) if (a !== b) for (const key of keys[a]) expect(keys[b].has(key), `${a} ∩ ${b}`).toBe(false);
    for (const [split, problems] of [['train', train], ['validation', validation], ['test', test]] as const) {
      for (const p of problems) {
        expect(splitOf(p)).toBe(split);
        expect(p.split).toBe(split);
      }
    }
  });

  it('puts every content key in exactly one split, by its bucket, and test where the two-way split put it', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-f]{64}$/), (key) => {
        const bucket = Number.parseInt(key.slice(0, 8), 16) % 100;
        expect(bucketOfKey(key)).toBe(bucket);
        const split = splitOfKey(key);
        const expected = bucket < TEST_PERCENT ? 'test' : bucket < TEST_PERCENT + VALIDATION_PERCENT ? 'validation' : 'train';
        expect(split).toBe(expected);
        // The split before validation existed: test ⇔ bucket < TEST_PERCENT. Test membership is unchanged.
        expect(split === 'test').toBe(bucket < TEST_PERCENT);
      }),
      { numRuns: 500 },
    );
  });

  it('draws a problem of the requested split for any family, level and seed, never one of another split', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FAMILIES), fc.constantFrom(...LEVELS), fc.nat(), (family, level, seed) => {
        const drawn = SPLITS.map((split) => get(family, level, split, seed));
        drawn.forEach((p, i) => expect(splitOf(p)).toBe(SPLITS[i]));
        expect(new Set(drawn.map(contentKey)).size).toBe(SPLITS.length);
      }),
      { numRuns: 60 },
    );
  });

  it('draws the same test problems as before the validation split existed (golden ids of seed 7)', () => {
    const drawn = sampleProblems({ families: [...FAMILIES], levels: [...LEVELS], split: 'test', seed: 7, count: 6 });
    if (E.isLeft(drawn)) throw drawn.left;
    expect(drawn.right.map((p) => p.id)).toEqual([
      'chart-7c9f3518c28107dd',
      'arithmetic-235938d6adde9912',
      'comparison-e9cf5b81ff5bd52f',
      'counting-c7f6eaa3e7b8e08e',
      'pattern-def7fc97f3ba442e',
      'comparison-aa0139a1b38c09e3',
    ]);
  });

  it('assigns about TEST_PERCENT of freshly drawn problems to test and VALIDATION_PERCENT to validation', () => {
    const rng = Rng.fromSeed(5);
    const drafts = FAMILIES.flatMap((family) => Array.from({ length: 200 }, () => GENERATORS[family](3, rng)));
    const share = (split: Split): number => drafts.filter((d) => splitOf(d) === split).length / drafts.length;
    expect(share('test')).toBeGreaterThan((TEST_PERCENT - 5) / 100);
    expect(share('test')).toBeLessThan((TEST_PERCENT + 5) / 100);
    expect(share('validation')).toBeGreaterThan((VALIDATION_PERCENT - 4) / 100);
    expect(share('validation')).toBeLessThan((VALIDATION_PERCENT + 4) / 100);
  });

  it('draws images of the model input size with values in [0, 1]', () => {
    for (const p of [...train, ...test]) {
      expect(p.image.width).toBe(MODEL_IMAGE_SIZE);
      expect(p.image.height).toBe(MODEL_IMAGE_SIZE);
      expect(p.image.data.length).toBe(MODEL_IMAGE_SIZE * MODEL_IMAGE_SIZE * 3);
      expect(p.image.data.every((v) => v >= 0 && v <= 1)).toBe(true);
      expect(p.image.data.some((v) => v > 0)).toBe(true);
    }
  });

  it('stays within the question, prompt and response budgets and the suite alphabet', () => {
    const allowed = new Set(SUITE_CHARACTERS);
    const plain = (s: string): string => RESPONSE_TAGS.reduce((acc, tag) => acc.split(tag).join(''), s);
    for (const p of [...train, ...test]) {
      const prompt = problemPrompt(p);
      expect(p.question.length, p.question).toBeLessThanOrEqual(MAX_QUESTION_CHARS);
      expect(prompt.length, prompt).toBeLessThanOrEqual(MAX_PROMPT_CHARS);
      expect(countResponseTokens(p.solution), p.solution).toBeLessThanOrEqual(MAX_SOLUTION_TOKENS);
      for (const char of prompt + plain(p.solution)) expect(allowed.has(char), `${JSON.stringify(char)} in ${prompt} / ${p.solution}`).toBe(true);
    }
  });

  it('names each problem by family and content', () => {
    for (const p of train.slice(0, 50)) expect(p.id).toBe(`${p.family}-${contentKey(p).slice(0, 16)}`);
  });

  it('types answers per family', () => {
    for (const p of [...train, ...test]) {
      if (p.answerType === 'choice') {
        expect(p.choices!.length).toBeGreaterThanOrEqual(2);
        expect(p.answer).toMatch(new RegExp(`^[A-${String.fromCharCode(64 + p.choices!.length)}]$`));
        expect(new Set(p.choices).size).toBe(p.choices!.length);
      } else {
        expect(p.answerType).toBe('integer');
        expect(p.choices).toBeUndefined();
        expect(p.answer).toMatch(/^\d+$/);
      }
    }
  });

  it('spreads choice answers over the letters', () => {
    const letters = new Set(train.filter((p) => p.answerType === 'choice').map((p) => p.answer));
    expect(letters).toEqual(new Set(['A', 'B', 'C', 'D']));
  });

  it('reports bad arguments as a StageError naming the field', () => {
    const bad = (result: E.Either<{ field: string }, Problem>): string => (E.isLeft(result) ? result.left.field : 'none');
    expect(bad(generateProblem('maze' as Family, 1, 'train', 0))).toBe('family');
    expect(bad(generateProblem('counting', 6 as Level, 'train', 0))).toBe('level');
    expect(bad(generateProblem('counting', 1, 'dev' as Split, 0))).toBe('split');
    expect(bad(generateProblem('counting', 1, 'train', 0.5))).toBe('seed');
  });
});

describe('difficulty', () => {
  const objectPixels = (p: Problem): number => {
    let lit = 0;
    for (let i = 0; i < p.image.data.length; i += 3) if (p.image.data[i]! + p.image.data[i + 1]! + p.image.data[i + 2]! > 0) lit++;
    return lit;
  };
  const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

  it('puts more objects in the image at level 5 than at level 1', () => {
    for (const family of ['counting', 'comparison', 'arithmetic'] as const) {
      const at = (level: Level): number => mean(train.filter((p) => p.family === family && p.level === level).map(objectPixels));
      expect(at(5), family).toBeGreaterThan(at(1));
    }
  });

  it('asks for more reasoning steps at level 5 than at level 1', () => {
    const steps = (p: Problem): number => countResponseTokens(p.solution);
    for (const family of ['counting', 'arithmetic', 'chart'] as const) {
      const at = (level: Level): number => mean(train.filter((p) => p.family === family && p.level === level).map(steps));
      expect(at(5), family).toBeGreaterThan(at(1));
    }
  });
});

describe('sampleProblems / problemSource', () => {
  it('yields the same items as the source, families and levels from the lists', () => {
    const options = { families: ['counting', 'chart'] as Family[], levels: [1, 2] as Level[], split: 'test' as const, seed: 9 };
    const sampled = sampleProblems({ ...options, count: 12 });
    const source = problemSource(options);
    if (E.isLeft(sampled) || E.isLeft(source)) throw new Error('unexpected Left');
    const streamed = Array.from({ length: 12 }, () => source.right.next().value as Problem);
    expect(streamed.map((p) => p.id)).toEqual(sampled.right.map((p) => p.id));
    expect(new Set(sampled.right.map((p) => p.family))).toEqual(new Set(['counting', 'chart']));
    for (const p of sampled.right) {
      expect([1, 2]).toContain(p.level);
      expect(p.split).toBe('test');
    }
  });

  it('rejects empty lists, unknown entries and bad counts', () => {
    const base = { families: ['counting'] as Family[], levels: [1] as Level[], split: 'train' as const, seed: 1, count: 1 };
    const field = (r: E.Either<{ field: string; index: unknown }, unknown>): unknown => (E.isLeft(r) ? [r.left.field, r.left.index] : 'ok');
    expect(field(sampleProblems({ ...base, families: [] }))).toEqual(['families', null]);
    expect(field(sampleProblems({ ...base, levels: [1, 9 as Level] }))).toEqual(['levels', 1]);
    expect(field(sampleProblems({ ...base, count: -1 }))).toEqual(['count', null]);
    expect(field(sampleProblems({ ...base, count: 0 }))).toBe('ok');
  });
});
