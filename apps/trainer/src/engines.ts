/**
 * The engines a run can use, by the name `--engine` (config `engine`) takes. Each entry loads its
 * factory only when chosen, so the trainer imports no engine code until a run starts, and a
 * command that trains nothing never loads TensorFlow.js. Adding an engine: implement
 * `EngineFactory` (libs/engine contract.ts), pass the contract suite (libs/engine/testing), add
 * an entry here; the config and the CLI accept its name from this registry.
 *
 * `modelOption` gives the engine its `model` option from the run's config; an engine whose
 * initial policy lives elsewhere (`localInit: false`: a remote server's base model) is started
 * without the local warm start.
 */
import type { EngineFactory, EngineInit } from '@rlflow/engine';
import type { TextCodec } from '@rlflow/rollout';
import type { RemoteConfig } from './config/types.js';

export interface EngineEntry {
  readonly description: string;
  readonly load: () => Promise<EngineFactory>;
  /** The engine's initial policy comes from the local init (warm start, scratch, a checkpoint). */
  readonly localInit: boolean;
  /** The engine's `model` option, from the config, the built-in model's config for a seed init, and the run's text codec. */
  readonly modelOption: (remote: RemoteConfig, init: EngineInit, builtin: unknown, codec: Pick<TextCodec, 'eosTokenId' | 'imageTokenId'>) => Promise<unknown>;
}

/** The built-in model's config for a seed init; with stored weights the engine reads the model from them. */
const builtinModel: EngineEntry['modelOption'] = async (_remote, init, builtin) => (init.kind === 'seed' ? builtin : undefined);

export const ENGINES = {
  tfjs: {
    description: 'TensorFlow.js in process (the reference engine): wasm, cpu, webgpu, or tfjs-node when installed',
    load: async () => (await import('@rlflow/policy')).createTfjsEngine,
    localInit: true,
    modelOption: builtinModel,
  },
  onnx: {
    description: 'the built-in model with its training passes on onnxruntime-node (CPU, MLAS) and sampling on TensorFlow.js; tfjs checkpoints',
    load: async () => (await import('@rlflow/onnx')).createOnnxEngine,
    localInit: true,
    modelOption: builtinModel,
  },
  tinker: {
    description: 'a remote server of the Tinker training API (rlflow serve, SkyRL tx, TuFT, the hosted service): --engine-url',
    load: async () => (await import('@rlflow/tinker')).createTinkerEngine,
    localInit: false,
    modelOption: async (remote, _init, builtin, codec) => {
      const { geometry } = await import('@rlflow/policy');
      const { VISION_TOKEN_RULES, VISION_TOKEN_RULE_NAMES, visionTokens } = await import('@rlflow/tinker/vision-tokens');
      const config = builtin as Parameters<typeof geometry>[0];
      const rule = remote.imageTokens === 'builtin' ? undefined : VISION_TOKEN_RULES[remote.imageTokens];
      const imageSize = remote.imageSize ?? config.imageSize;
      if (rule === undefined && imageSize !== config.imageSize) {
        throw new Error(`remote.imageSize: is ${imageSize}, but remote.imageTokens builtin counts the built-in model's ${config.imageSize}×${config.imageSize} images; set remote.imageTokens to ${VISION_TOKEN_RULE_NAMES.join(' or ')}`);
      }
      const counted = rule === undefined ? undefined : visionTokens(rule, imageSize, imageSize);
      if (counted !== undefined && counted._tag === 'Left') throw counted.left;
      return {
        url: remote.url,
        baseModel: remote.baseModel,
        loraRank: remote.loraRank,
        imageSize,
        imageTokens: counted === undefined ? geometry({ ...config, imageSize }).imageTokens : counted.right,
        maxPromptTokens: remote.maxPromptTokens ?? config.maxPromptTokens,
        maxResponseTokens: remote.maxResponseTokens ?? config.maxResponseTokens,
        eosTokenId: codec.eosTokenId,
        imageTokenId: codec.imageTokenId,
        pollTimeoutMs: remote.pollTimeoutMs,
        requestTimeoutMs: remote.requestTimeoutMs,
        retryBaseDelayMs: remote.retryBaseDelayMs,
        deadlineMs: remote.deadlineMs,
        builtinLosses: remote.builtinLosses,
      };
    },
  },
} as const satisfies Readonly<Record<string, EngineEntry>>;

export type EngineName = keyof typeof ENGINES;

export const ENGINE_NAMES = Object.keys(ENGINES) as readonly EngineName[] as readonly [EngineName, ...EngineName[]];

export const isEngineName = (name: string): name is EngineName => (ENGINE_NAMES as readonly string[]).includes(name);

/** The engines that run the built-in model here (their initial policy is the local init): what `rlflow sft` and `rlflow demo` can train on. */
export const LOCAL_ENGINE_NAMES: readonly EngineName[] = ENGINE_NAMES.filter((name) => ENGINES[name].localInit);

export const isLocalEngineName = (name: string): name is EngineName => (LOCAL_ENGINE_NAMES as readonly string[]).includes(name);

export const loadEngineFactory = (name: EngineName): Promise<EngineFactory> => ENGINES[name].load();

/**
 * What `engine: auto` tries, the fastest first, with why: the first that loads is used. The order
 * is measured (docs/backends.md, "The onnx engine"): the same workload's training passes ran
 * 1.4–5.4× faster on onnx than on tfjs, and sampling is the same code on both. Remote engines
 * are never chosen by `auto` (they need a server).
 */
export const AUTO_ENGINE_ORDER: ReadonlyArray<{ readonly name: EngineName; readonly why: string }> = [
  { name: 'onnx', why: 'the fastest local engine: training passes on onnxruntime (MLAS), sampling on TensorFlow.js' },
  { name: 'tfjs', why: 'the reference engine, which runs wherever TensorFlow.js does' },
];

export type EngineChoice = 'auto' | EngineName;

export const ENGINE_CHOICES = ['auto', ...ENGINE_NAMES] as const satisfies readonly EngineChoice[];

export const isEngineChoice = (name: string): name is EngineChoice => (ENGINE_CHOICES as readonly string[]).includes(name);

export interface ChosenEngine {
  readonly name: EngineName;
  readonly factory: EngineFactory;
  /** Why this engine: the one asked for, or what `auto` tried. */
  readonly reason: string;
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error)).split('\n')[0]!;

/** The engine a run uses: the one named, or for `auto` the first of AUTO_ENGINE_ORDER whose code loads here. */
export const chooseEngine = async (choice: EngineChoice, load: (name: EngineName) => Promise<EngineFactory> = loadEngineFactory): Promise<ChosenEngine> => {
  if (choice !== 'auto') return { name: choice, factory: await load(choice), reason: `${choice}, as configured` };
  const failed: string[] = [];
  for (const { name, why } of AUTO_ENGINE_ORDER) {
    try {
      const factory = await load(name);
      return { name, factory, reason: `auto chose ${name}: ${why}${failed.length === 0 ? '' : ` (${failed.join('; ')})`}` };
    } catch (error) {
      failed.push(`${name} did not load: ${messageOf(error)}`);
    }
  }
  throw new Error(`engine auto: no engine loads here (${failed.join('; ')})`);
};

/** Whether the engine's initial policy is the local init (the warm start, scratch, a checkpoint); every engine `auto` picks is local. */
export const usesLocalInit = (choice: EngineChoice): boolean => choice === 'auto' || ENGINES[choice].localInit;
