import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Every workspace package, by the name after `@rlflow/`. */
const PACKAGES = ['core', 'advantage', 'clipping', 'curriculum', 'engine', 'policy', 'rollout', 'eval', 'trainer', 'tools'];

/**
 * The engine implementation (classes, and what builds, runs or loads them) that only an engine
 * registry may import; the rest of @rlflow/policy (tokenizer, configs, backend names) is data.
 */
const ENGINE_IMPLEMENTATION = {
  name: '@rlflow/policy',
  importNames: [
    'Policy',
    'Trainer',
    'TfjsEngine',
    'createPolicy',
    'createTrainer',
    'createTfjsEngine',
    'initBackend',
    'supervisedLoss',
    'LossFn',
    'readPolicyCheckpoint',
    'writePolicyCheckpoint',
    'readTrainerCheckpoint',
    'writeTrainerCheckpoint',
    'fillTrainerCheckpoint',
  ],
};

/**
 * The layering: the @rlflow packages each folder's source may import (whether it may import
 * TensorFlow.js, and whether the engine implementation); any other import fails the lint. Tests
 * (`*.test.ts`) may import any library.
 */
const LAYERS = [
  { dir: 'libs/core', may: [], tensorflow: false },
  { dir: 'libs/advantage', may: ['core'], tensorflow: false },
  { dir: 'libs/clipping', may: ['core'], tensorflow: true },
  { dir: 'libs/curriculum', may: ['core'], tensorflow: false },
  { dir: 'libs/engine', may: ['core', 'clipping'], tensorflow: true },
  // The engine implementation uses clipping's plain forms (and, for now, its tensor gradient registrations).
  { dir: 'libs/policy', may: ['core', 'engine', 'clipping'], tensorflow: true },
  { dir: 'libs/rollout', may: ['core', 'engine'], tensorflow: false },
  { dir: 'libs/eval', may: ['core'], tensorflow: false },
  // The trainer reaches the engine implementation only through its engine registry (below).
  { dir: 'apps/trainer', may: PACKAGES.filter((name) => name !== 'trainer'), tensorflow: true, engine: false },
  { dir: 'tools', may: PACKAGES.filter((name) => name !== 'tools'), tensorflow: true },
  { dir: 'docs', may: PACKAGES, tensorflow: true },
];

/**
 * Files allowed more than their folder, each with the reason. Today's code that predates the
 * engine contract is listed file by file, so no new file can add such an import.
 */
const EXCEPTIONS = [
  { files: ['apps/trainer/src/engines.ts'], engine: true, why: 'the engine registry, which loads the TensorFlow.js engine' },
  {
    files: [
      'libs/rollout/src/stream/group.ts',
      'libs/rollout/src/stream/policy.ts',
      'libs/rollout/src/stream/prompts.ts',
      'libs/rollout/src/stream/testing/fake-policy.ts',
      'libs/rollout/src/stream/testing/fake-engine.ts',
    ],
    also: ['policy'],
    why: "the rollout's tokenizer and sampling types, still taken from @rlflow/policy until they come from @rlflow/engine (issue 14, deliverable 3)",
  },
  {
    files: ['libs/rollout/src/reward/score.ts'],
    also: ['advantage'],
    why: "the reward's DAPO overlong term is @rlflow/advantage's `overlong`, the one implementation of it",
  },
  {
    files: [
      'apps/trainer/src/pipeline/loss.ts',
      'apps/trainer/src/pipeline/run.ts',
      'apps/trainer/src/pipeline/update.ts',
      'apps/trainer/src/pipeline/evaluate.ts',
      'apps/trainer/src/pipeline/checkpoint.ts',
      'apps/trainer/src/pipeline/step.ts',
      'apps/trainer/src/pipeline/testing/tiny-run.ts',
      'apps/trainer/src/demo/demo.ts',
      'apps/trainer/src/sft/*.ts',
      'apps/trainer/src/commands/bench.ts',
      'apps/trainer/src/commands/eval-local.ts',
      'apps/trainer/src/commands/sft.ts',
    ],
    engine: true,
    why: 'trainer code still on the concrete TensorFlow.js policy, until it talks to the engine contract (issue 14, deliverable 3)',
  },
];

const restrictedImports = (dir, { may, tensorflow, engine = true }, why) => {
  const forbidden = PACKAGES.filter((name) => !may.includes(name));
  const allowed = may.length === 0 ? 'no @rlflow package' : may.map((name) => `@rlflow/${name}`).join(', ');
  const reason = why === undefined ? '' : ` (${why})`;
  const patterns = [];
  if (forbidden.length > 0) {
    patterns.push({
      group: forbidden.flatMap((name) => [`@rlflow/${name}`, `@rlflow/${name}/*`]),
      message: `${dir} may import ${allowed}${reason}: the layering in eslint.config.js.`,
    });
  }
  if (!tensorflow) patterns.push({ group: ['@tensorflow/*'], message: `${dir} is pure and imports no TensorFlow.js: the layering in eslint.config.js.` });
  const paths = engine
    ? []
    : [{ ...ENGINE_IMPLEMENTATION, message: `${dir} reaches the engine implementation only through its engine registry (apps/trainer/src/engines.ts): the layering in eslint.config.js.` }];
  return ['error', { patterns, paths }];
};

const tests = ['**/*.test.ts'];

const layering = [
  ...LAYERS.map((layer) => ({
    files: [`${layer.dir}/**/*.ts`],
    ignores: [...tests, ...EXCEPTIONS.flatMap((exception) => exception.files)],
    rules: { 'no-restricted-imports': restrictedImports(layer.dir, layer) },
  })),
  ...EXCEPTIONS.map(({ files, also = [], engine, why }) => {
    const layer = LAYERS.find(({ dir }) => files.every((file) => file.startsWith(`${dir}/`)));
    const allowed = { ...layer, may: [...layer.may, ...also], ...(engine === undefined ? {} : { engine }) };
    return { files, ignores: tests, rules: { 'no-restricted-imports': restrictedImports(layer.dir, allowed, why) } };
  }),
];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'runs/**', '.nx/**', '**/*.js', '!eslint.config.js', '**/.scratch/**', '**/*.tmp.mts', '.rlflow-cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  ...layering,
);
