/**
 * The response-packing lever of issue 10 ("no work on padding") measured on its own
 * (`rlflow bench --workload packing`): the onnx engine's `forwardBackward` over a trainer-like
 * batch with responses one padded row each (`packResponses: false`, the default) and laid end to
 * end in shared rows (`packResponses: true`, libs/policy segment-packing.ts), the two engines
 * alternating in one process:
 *
 *   batch        16 prompts × G = 8 rows, 16 image tokens + a 36-token prompt, response width 32;
 *                a response runs to 32 tokens with probability 1/4, else its length is uniform
 *                in [4, 20] (mean 16; the trainer's level-1 rollouts average 15), seeded
 *   mini-batches the trainer's plan (libs/engine planUpdates: rows shuffled, then cut) with 4
 *                mini-batches (the demo's) and with 1 (every preset's default)
 *   models       the demo's (d_model 64, 2 decoder layers) and the default one
 *   one pass     `forwardBackward` of every mini-batch of the plan (the CLI's engines: the trainer's
 *                default micro-batch budget, 8192 tokens)
 *
 * One untimed pass of each engine first, so both hold their sessions (session creation is the
 * shape buckets' lever, not this one); then `repeats` timed passes of each, alternating. Each
 * case reports the median and range of the pass seconds and the tokens the engine computed.
 */
import { matrix, Rng, writeFileAtomic } from '@rlflow/core';
import { FULL_VIEW, planUpdates, type Engine, type SequenceInput } from '@rlflow/engine';
import type { PolicyConfig } from '@rlflow/policy';
import { orThrow, spread, timed, type Spread } from './bench-timing.js';

export interface PackingCase {
  readonly model: string;
  readonly miniBatches: number;
  readonly padded: { readonly seconds: Spread; readonly tokens: number };
  readonly packed: { readonly seconds: Spread; readonly tokens: number };
}

export interface PackingBenchOptions {
  /** Creates the onnx engine with packing off or on. */
  readonly engine: (packResponses: boolean, model: PolicyConfig) => Promise<Engine>;
  /** The models measured, by name (the CLI passes the demo's, apps/trainer DEMO_POLICY_CONFIG, and the default one). */
  readonly models: readonly (readonly [string, PolicyConfig])[];
  /** Timed passes of each engine per case (default 5). */
  readonly repeats?: number;
  readonly json?: string;
  readonly log?: (line: string) => void;
}

const ok = orThrow('bench packing');
const PROMPTS = 16;
const GROUP = 8;
const PROMPT_TOKENS = 36;
const WIDTH = 32;

/** The bench's batch (rules above) for `config`, from `seed`. */
export const packingBatch = (config: PolicyConfig, seed: number): SequenceInput[] => {
  const rng = Rng.fromSeed(seed);
  const pixels = config.imageSize * config.imageSize * 3;
  const token = (): number => 7 + rng.int(config.vocabSize - 7);
  return Array.from({ length: PROMPTS }, () => ({ image: Float32Array.from({ length: pixels }, () => rng.next()), promptTokens: Array.from({ length: PROMPT_TOKENS }, token) })).flatMap((prompt) =>
    Array.from({ length: GROUP }, () => ({ ...prompt, responseTokens: Array.from({ length: rng.next() < 0.25 ? WIDTH : 4 + rng.int(17) }, token) })),
  );
};

const pass = async (engine: Engine, batch: readonly SequenceInput[], plan: readonly (readonly number[])[]): Promise<number> => {
  let tokens = 0;
  for (const rows of plan) {
    const sequences = rows.map((r) => batch[r]!);
    const weights = matrix(sequences.length, WIDTH, Float64Array.from({ length: sequences.length * WIDTH }, (_, i) => (i % WIDTH < sequences[Math.floor(i / WIDTH)]!.responseTokens.length ? 0.01 : 0)));
    tokens += ok(await engine.forwardBackward({ sequences, responseWidth: WIDTH, terms: [{ view: FULL_VIEW, logpWeights: weights }] })).tokens;
  }
  return tokens;
};

export const runPackingBench = async (options: PackingBenchOptions): Promise<PackingCase[]> => {
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const repeats = options.repeats ?? 5;
  const cases: PackingCase[] = [];
  for (const [model, config] of options.models) {
    const batch = packingBatch(config, 7);
    const engines = [await options.engine(false, config), await options.engine(true, config)] as const;
    try {
      for (const miniBatches of [4, 1]) {
        const plan = planUpdates(batch.length, 1, miniBatches, 11).miniBatches;
        const tokens = [await pass(engines[0], batch, plan), await pass(engines[1], batch, plan)] as const;
        const seconds: [number[], number[]] = [[], []];
        for (let i = 0; i < repeats; i++) {
          for (const side of i % 2 === 0 ? [0, 1] : [1, 0]) seconds[side]!.push((await timed(() => pass(engines[side]!, batch, plan))).seconds);
        }
        const result: PackingCase = { model, miniBatches, padded: { seconds: spread(seconds[0]), tokens: tokens[0] }, packed: { seconds: spread(seconds[1]), tokens: tokens[1] } };
        cases.push(result);
        const fmt = (s: Spread): string => `${s.median.toFixed(3)} s (${s.min.toFixed(3)}–${s.max.toFixed(3)})`;
        log(`packing: ${model} model, ${miniBatches} mini-batch${miniBatches === 1 ? '' : 'es'}: padded ${fmt(result.padded.seconds)}, ${result.padded.tokens} tokens; packed ${fmt(result.packed.seconds)}, ${result.packed.tokens} tokens`);
      }
    } finally {
      await Promise.all(engines.map((e) => e.dispose()));
    }
  }
  if (options.json !== undefined) await writeFileAtomic(options.json, `${JSON.stringify({ repeats, cases }, null, 2)}\n`);
  return cases;
};
