import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Every workspace package, by the name after `@rlflow/`. */
const PACKAGES = ['core', 'advantage', 'clipping', 'curriculum', 'engine', 'policy', 'rollout', 'tinker', 'eval', 'trainer', 'tools'];

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

/** The remote engine itself; the rest of @rlflow/tinker (wire codecs, the client, datum conversions) is protocol. */
const REMOTE_ENGINE = { name: '@rlflow/tinker', importNames: ['TinkerEngine', 'createTinkerEngine'] };

/** What the rollout may take from @rlflow/policy: the built-in tokenizer and its token ids, nothing of the engine. */
const TOKENIZER_NAMES = ['tokenizer', 'Tokenizer', 'ALPHABET', 'SPECIAL_TOKENS', 'VOCAB_SIZE', 'PAD_ID', 'EOS_ID', 'IMAGE_ID', 'THINK_ID', 'END_THINK_ID', 'ANSWER_ID', 'END_ANSWER_ID', 'SpecialToken'];

/**
 * The layering (docs/architecture.md, "The libraries"): the @rlflow packages each folder's source
 * may import, whether it may import TensorFlow.js, and what of @rlflow/policy it may take; any
 * other import fails the lint. Tests (`*.test.ts`) may import any library.
 */
const LAYERS = [
  { dir: 'libs/core', may: [], tensorflow: false },
  { dir: 'libs/advantage', may: ['core'], tensorflow: false },
  { dir: 'libs/clipping', may: ['core'], tensorflow: false },
  { dir: 'libs/curriculum', may: ['core'], tensorflow: false },
  { dir: 'libs/engine', may: ['core', 'clipping'], tensorflow: false },
  { dir: 'libs/policy', may: ['core', 'engine', 'clipping'], tensorflow: true },
  { dir: 'libs/rollout', may: ['core', 'engine', 'advantage'], policy: TOKENIZER_NAMES, tensorflow: false },
  { dir: 'libs/tinker', may: ['core', 'engine', 'rollout'], tensorflow: false },
  { dir: 'libs/eval', may: ['core'], tensorflow: false },
  // The trainer reaches the engine implementation only through its engine registry (below).
  { dir: 'apps/trainer', may: PACKAGES.filter((name) => name !== 'trainer'), tensorflow: true, engine: false },
  { dir: 'tools', may: PACKAGES.filter((name) => name !== 'tools'), tensorflow: true },
  { dir: 'docs', may: PACKAGES, tensorflow: true },
];

/** Files allowed more than their folder, each with the reason, listed file by file so that no new file can add such an import. */
const EXCEPTIONS = [
  { files: ['apps/trainer/src/engines.ts'], engine: true, why: 'the engine registry, which loads the TensorFlow.js engine' },
  {
    files: ['apps/trainer/src/pipeline/testing/tiny-run.ts'],
    engine: true,
    why: 'a test fixture that writes a tiny initial checkpoint with the TensorFlow.js policy',
  },
  { files: ['apps/trainer/src/commands/sft.ts'], engine: true, why: 'initialises the TensorFlow.js backend the SFT warm start runs on' },
];

const layerMessage = (dir, allowed, why) => `${dir} may import ${allowed}${why === undefined ? '' : ` (${why})`}: the layering in eslint.config.js.`;

const restrictedImports = (dir, { may, tensorflow, policy, engine = true }, why) => {
  const forbidden = PACKAGES.filter((name) => !may.includes(name));
  const allowed = [...may.map((name) => `@rlflow/${name}`), ...(policy === undefined ? [] : ["@rlflow/policy's tokenizer"])];
  const message = layerMessage(dir, allowed.length === 0 ? 'no @rlflow package' : allowed.join(', '), why);
  const patterns = [];
  const paths = [];
  const groups = forbidden.flatMap((name) => (name === 'policy' && policy !== undefined ? ['@rlflow/policy/*'] : [`@rlflow/${name}`, `@rlflow/${name}/*`]));
  if (groups.length > 0) patterns.push({ group: groups, message });
  if (policy !== undefined) paths.push({ name: '@rlflow/policy', allowImportNames: policy, message });
  if (!tensorflow) patterns.push({ group: ['@tensorflow/*'], message: `${dir} is pure and imports no TensorFlow.js: the layering in eslint.config.js.` });
  if (!engine) {
    const message = `${dir} reaches the engine implementation only through its engine registry (apps/trainer/src/engines.ts): the layering in eslint.config.js.`;
    paths.push({ ...ENGINE_IMPLEMENTATION, message }, { ...REMOTE_ENGINE, message });
  }
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
