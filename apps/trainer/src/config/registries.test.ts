/**
 * One source of truth: every field that names a library's component accepts exactly the names
 * of that library's registry (its keys, where the registry is an object keyed by name) and
 * refuses anything else with the field's dotted path, so an estimator, a loss or a task family
 * added to its library is accepted by the configuration with no edit here.
 */
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { advantageEstimators } from '@rlflow/advantage';
import { KL_ESTIMATORS, LOSS_AGGREGATIONS, policyLosses } from '@rlflow/clipping';
import { PROMPT_SAMPLING_STRATEGIES, reuseScheduleKinds, reuseScheduleNames } from '@rlflow/curriculum';
import { BACKEND_CHOICES, BACKEND_NAMES } from '@rlflow/policy';
import { LEARNING_RATE_SCHEDULES } from '@rlflow/engine';
import { ENGINES } from '../engines.js';
import { SFT_RECIPES } from '../sft/index.js';
import { ARITHMETIC_LEVELS, CHART_LEVELS, COMPARISON_LEVELS, COUNTING_LEVELS, GENERATORS, LEVELS, PATTERN_LEVELS } from '@rlflow/rollout';
import { CLIP_MODES, DEFAULT_CONFIG, NORM_CONSTANT_REFERENCES, applySet, decodeTrainConfig, type ConfigSetValue } from './index.js';

type Names = readonly (string | number)[];

interface Registry {
  readonly what: string;
  readonly names: Names;
  /** The fields whose value is one name (a path) or a list of names (a path ending in `[]`). */
  readonly fields: readonly string[];
}

const levelKeys = (levels: Readonly<Record<number, unknown>>): number[] => Object.keys(levels).map(Number);

const REGISTRIES: readonly Registry[] = [
  { what: 'advantage estimators (@rlflow/advantage)', names: Object.keys(advantageEstimators), fields: ['algorithm.advantage'] },
  { what: 'policy losses (@rlflow/clipping)', names: Object.keys(policyLosses), fields: ['algorithm.policyLoss'] },
  { what: 'loss aggregations (@rlflow/clipping)', names: LOSS_AGGREGATIONS, fields: ['algorithm.lossAgg', 'kl.lossAgg', 'papo.lossAgg', 'entropy.lossAgg'] },
  { what: 'KL estimators (@rlflow/clipping)', names: KL_ESTIMATORS, fields: ['kl.estimator'] },
  { what: 'reuse schedules (@rlflow/curriculum)', names: reuseScheduleKinds, fields: ['curriculum.schedule'] },
  { what: 'prompt sampling strategies (@rlflow/curriculum)', names: PROMPT_SAMPLING_STRATEGIES, fields: ['curriculum.sampling.strategy'] },
  { what: 'task families (@rlflow/rollout)', names: Object.keys(GENERATORS), fields: ['rollout.families[]', 'eval.families[]'] },
  { what: 'task levels (@rlflow/rollout)', names: LEVELS, fields: ['rollout.levels[]', 'eval.levels[]'] },
  { what: 'backends (@rlflow/policy)', names: BACKEND_CHOICES, fields: ['backend'] },
  { what: 'engines (the trainer\'s engine registry, and auto)', names: ['auto', ...Object.keys(ENGINES)], fields: ['engine'] },
  { what: 'learning-rate schedules (@rlflow/engine)', names: LEARNING_RATE_SCHEDULES, fields: ['optimizer.schedule'] },
  { what: 'clip modes (the trainer)', names: CLIP_MODES, fields: ['clip.mode'] },
];

const expectedNames = (names: Names): string => `one of ${names.map((n) => JSON.stringify(n)).join(', ')}`;

/** The default configuration with `field` set to `value` (a list of it for a list field). */
const configWith = (field: string, value: string | number): unknown => {
  const isList = field.endsWith('[]');
  const path = (isList ? field.slice(0, -2) : field).split('.');
  const set: ConfigSetValue = isList ? [value] : value;
  const result = applySet({ text: `${path.join('.')}=${String(value)}`, path, value: set })(DEFAULT_CONFIG);
  if (E.isLeft(result)) throw new Error(`${field}: ${result.left.message}`);
  return result.right;
};

const problemsWith = (field: string, value: string | number): readonly string[] => {
  const decoded = decodeTrainConfig(configWith(field, value));
  return E.isLeft(decoded) ? decoded.left.problems : [];
};

const reportedPath = (field: string): string => (field.endsWith('[]') ? `${field.slice(0, -2)}[0]` : field);

describe('the configuration takes its names from the registries', () => {
  it('reads non-empty registries that agree with the libraries’ own lists', () => {
    for (const registry of REGISTRIES) expect(registry.names.length, registry.what).toBeGreaterThan(0);
    expect(reuseScheduleKinds).toEqual([...reuseScheduleNames, 'adaptive']);
    expect(BACKEND_CHOICES).toEqual(['auto', ...BACKEND_NAMES]);
    for (const familyLevels of [COUNTING_LEVELS, COMPARISON_LEVELS, ARITHMETIC_LEVELS, CHART_LEVELS, PATTERN_LEVELS]) expect(levelKeys(familyLevels)).toEqual([...LEVELS]);
  });

  for (const registry of REGISTRIES) {
    describe(registry.what, () => {
      it('accepts every name in the registry', () => {
        for (const field of registry.fields) for (const name of registry.names) expect([field, name, problemsWith(field, name)]).toEqual([field, name, []]);
      });

      it('refuses a name not in the registry, with the dotted path', () => {
        const strange = typeof registry.names[0] === 'number' ? Math.max(...(registry.names as number[])) + 1 : 'not-registered';
        for (const field of registry.fields) {
          expect(problemsWith(field, strange)).toEqual([`${reportedPath(field)}: expected ${expectedNames(registry.names)}, found ${JSON.stringify(strange)}`]);
        }
      });

      it('accepts nothing else', () => {
        const field = registry.fields[0]!;
        const near = registry.names.flatMap((n) => (typeof n === 'string' ? [n.toUpperCase(), `${n} `, n.slice(1)] : [String(n), n + 0.5, -n]));
        const candidates = fc.oneof(fc.constantFrom(...registry.names, ...near), fc.string(), fc.integer({ min: -3, max: 9 }));
        fc.assert(
          fc.property(candidates, (value) => {
            expect(problemsWith(field, value).length === 0).toBe(registry.names.includes(value));
          }),
          { numRuns: 100 },
        );
      });
    });
  }

  it('takes a norm constant as a number or one of the references the pipeline resolves', () => {
    for (const reference of NORM_CONSTANT_REFERENCES) expect(problemsWith('algorithm.normConstant', reference)).toEqual([]);
    expect(problemsWith('algorithm.normConstant', 32)).toEqual([]);
    expect(problemsWith('algorithm.normConstant', 'budget')).toEqual([
      `algorithm.normConstant: expected a number in (0, 1000000000] or ${expectedNames(NORM_CONSTANT_REFERENCES)}, found "budget"`,
    ]);
  });
});

describe('init takes its warm-start recipes from the SFT registry', () => {
  it('accepts sft:NAME for every registered recipe, sft and scratch, and a directory', () => {
    for (const value of ['sft', 'scratch', 'runs/a/checkpoints/step-000010', ...Object.keys(SFT_RECIPES).map((n) => `sft:${n}`)]) expect([value, problemsWith('init', value)]).toEqual([value, []]);
  });

  it('refuses sft:NAME for a name the registry does not hold, naming the field', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 12 }).filter((n) => !Object.hasOwn(SFT_RECIPES, n)), (name) => {
        const problems = problemsWith('init', `sft:${name}`);
        expect(problems).toHaveLength(1);
        expect(problems[0]).toMatch(/^init: expected "sft", "sft:RECIPE" \(RECIPE one of default, demo\)/);
      }),
    );
  });
});

