/**
 * The engines a run can use, by the name `--engine` (config `engine`) takes. Each entry loads its
 * factory only when chosen, so the trainer imports no engine code until a run starts, and a
 * command that trains nothing never loads TensorFlow.js. Adding an engine: implement
 * `EngineFactory` (libs/engine contract.ts), pass the contract suite (libs/engine/testing), add
 * an entry here; the config and the CLI accept its name from this registry.
 */
import type { EngineFactory } from '@rlflow/engine';

export interface EngineEntry {
  readonly description: string;
  readonly load: () => Promise<EngineFactory>;
}

export const ENGINES = {
  tfjs: {
    description: 'TensorFlow.js in process (the reference engine): wasm, cpu, webgpu, or tfjs-node when installed',
    load: async () => (await import('@rlflow/policy')).createTfjsEngine,
  },
} as const satisfies Readonly<Record<string, EngineEntry>>;

export type EngineName = keyof typeof ENGINES;

export const ENGINE_NAMES = Object.keys(ENGINES) as readonly EngineName[] as readonly [EngineName, ...EngineName[]];

export const loadEngineFactory = (name: EngineName): Promise<EngineFactory> => ENGINES[name].load();
