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

export const loadEngineFactory = (name: EngineName): Promise<EngineFactory> => ENGINES[name].load();
