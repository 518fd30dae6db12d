/**
 * The SFT warm start's configuration: the model, the optimizer, the training data (train split
 * of the synthetic suite, levels 1–3 and all five families by default) and the held-out
 * evaluation at the end. Decoded with io-ts when read back from `sft.json`. Its hash names the
 * cache entry: sha256 of the canonical JSON (keys sorted at every depth) with a format tag,
 * first 16 hex digits, so any change to any field trains a new checkpoint.
 */
import { createHash } from 'node:crypto';
import * as t from 'io-ts';
import { NonNegativeInt, PositiveInt, literalUnion } from '@rlflow/core';
import { OptimizerConfigCodec, PolicyConfigCodec, defaultOptimizerConfig, defaultPolicyConfig, type PolicyConfig } from '@rlflow/policy';
import { FAMILIES, HELD_OUT_SPLITS, LEVELS } from '@rlflow/rollout';

const Seed = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n >= 0 && n <= 0xffffffff, 'Seed');

const nonEmptyDistinct = <A>(item: t.Type<A>, name: string): t.Type<A[]> =>
  t.refinement(t.array(item), (xs) => xs.length > 0 && new Set(xs).size === xs.length, name) as unknown as t.Type<A[]>;

export const FamiliesCodec = nonEmptyDistinct(literalUnion(FAMILIES, 'Family'), 'a non-empty list of distinct families');
export const LevelsCodec = nonEmptyDistinct(literalUnion(LEVELS, 'Level'), `a non-empty list of distinct levels (${LEVELS.join(', ')})`);

export const SftEvalCodec = t.type({
  split: literalUnion(HELD_OUT_SPLITS, 'HeldOutSplit'),
  families: FamiliesCodec,
  levels: LevelsCodec,
  problemsPerCell: PositiveInt,
  seed: Seed,
  maxNewTokens: PositiveInt,
  batchSize: PositiveInt,
});

export const SftConfigCodec = t.type({
  policy: PolicyConfigCodec,
  optimizer: OptimizerConfigCodec,
  /** Optimizer steps. */
  steps: PositiveInt,
  /** Reference solutions per step. */
  batchSize: PositiveInt,
  /** Seeds the initial weights and the training problems. */
  seed: Seed,
  families: FamiliesCodec,
  levels: LevelsCodec,
  /** Padded tokens per micro-batch; 0 = the whole batch at once. */
  microBatchTokens: NonNegativeInt,
  eval: SftEvalCodec,
});

export type SftConfig = t.TypeOf<typeof SftConfigCodec>;
export type SftEvalConfig = t.TypeOf<typeof SftEvalCodec>;

/**
 * The warm start trains the default model (docs/architecture.md, "Default model"); no smaller one is
 * needed: 150 steps of 32 solutions at a peak learning rate of 2e-3 take 1.5–2.5 minutes on 2
 * wasm threads (shared machine) and put the held-out accuracy at about 25–45 % on levels 1–3
 * and 10–20 % on levels 4–5 (seed 0: 45 / 36 / 26 / 19 / 8.5 %).
 */
export const SFT_POLICY_CONFIG: PolicyConfig = defaultPolicyConfig;

export const SFT_STEPS = 150;

export const defaultSftConfig = (overrides: Partial<Pick<SftConfig, 'steps' | 'seed' | 'levels'>> = {}): SftConfig => {
  const steps = overrides.steps ?? SFT_STEPS;
  return {
    policy: SFT_POLICY_CONFIG,
    optimizer: { ...defaultOptimizerConfig, learningRate: 2e-3, warmupSteps: 10, schedule: 'cosine', totalSteps: steps, minLearningRateRatio: 0.1, weightDecay: 0.01, maxGradNorm: 1 },
    steps,
    batchSize: 32,
    seed: overrides.seed ?? 0,
    families: [...FAMILIES],
    levels: overrides.levels ?? [1, 2, 3],
    microBatchTokens: 0,
    eval: { split: 'validation', families: [...FAMILIES], levels: [...LEVELS], problemsPerCell: 40, seed: 1, maxNewTokens: SFT_POLICY_CONFIG.maxResponseTokens, batchSize: 100 },
  };
};

/** The demo's model: the default one at half the width and half the depth (d_model 64, 2 decoder layers, 2 heads). */
export const DEMO_POLICY_CONFIG: PolicyConfig = { ...defaultPolicyConfig, dModel: 64, decoderLayers: 2, heads: 2 };

export const DEMO_SFT_STEPS = 100;

/**
 * The demo's warm start: the default SFT recipe (levels 1–3, all families, batches of 32, cosine
 * schedule) for DEMO_SFT_STEPS steps at a peak learning rate of 3e-3 on DEMO_POLICY_CONFIG; its own
 * record evaluates 20 validation problems per family at level 1 (the default's 1,000 problems
 * on five levels would cost the demo a minute). Cached under its own hash, apart from the
 * default warm start.
 */
export const demoSftConfig = (): SftConfig => {
  const base = defaultSftConfig({ steps: DEMO_SFT_STEPS });
  return {
    ...base,
    policy: DEMO_POLICY_CONFIG,
    optimizer: { ...base.optimizer, learningRate: 3e-3 },
    eval: { ...base.eval, levels: [1], problemsPerCell: 20 },
  };
};

/**
 * The named warm-start recipes a run's `init` can start from (`init=sft` is `sft:default`,
 * `init=sft:demo` the demo's); `rlflow sft --recipe NAME` trains one ahead of time.
 */
export const SFT_RECIPES = {
  default: (): SftConfig => defaultSftConfig(),
  demo: demoSftConfig,
} as const satisfies Record<string, () => SftConfig>;

export type SftRecipe = keyof typeof SFT_RECIPES;

export const SFT_RECIPE_NAMES = Object.keys(SFT_RECIPES) as readonly SftRecipe[] as readonly [SftRecipe, ...SftRecipe[]];

export const isSftRecipe = (name: string): name is SftRecipe => Object.hasOwn(SFT_RECIPES, name);

/** The recipe an `init` value names: `sft` → default, `sft:NAME` → NAME (registered or not), anything else → null. */
export const sftRecipeOfInit = (init: string): string | null => (init === 'sft' ? 'default' : init.startsWith('sft:') ? init.slice('sft:'.length) : null);

/** JSON with the keys of every object sorted, so equal configurations serialise equally. */
export const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );

export const SFT_FORMAT = 'rlflow-sft/1';

/** The engine warm starts are trained on unless asked otherwise. */
export const REFERENCE_SFT_ENGINE = 'tfjs';

/** The warm start's cache key; one trained on another engine than the reference (other float32 rounding) gets its own. */
export const sftConfigHash = (config: SftConfig, engine: string = REFERENCE_SFT_ENGINE): string => {
  const hash = createHash('sha256').update(SFT_FORMAT).update('\u0000').update(canonicalJson(config));
  if (engine !== REFERENCE_SFT_ENGINE) hash.update('\u0000').update(engine);
  return hash.digest('hex').slice(0, 16);
};
