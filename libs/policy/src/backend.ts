/**
 * Compute backends (docs/architecture.md, "Compute backends"; docs/backends.md). `wasm` (XNNPACK,
 * SIMD; multi-threaded under Node through `wasm-threads.ts`) is the default, `cpu` (plain JS) the
 * fallback; `webgpu` (`webgpu-device.ts`: Dawn's Node bindings from the optional `webgpu`
 * package, `@tensorflow/tfjs-backend-webgpu`) runs on any vendor's GPU, or on SwiftShader
 * without one; `tensorflow` / `tensorflow-gpu` (libtensorflow through `@tensorflow/tfjs-node` /
 * `@tensorflow/tfjs-node-gpu`) are used only when the user has installed those packages. The
 * optional packages are loaded by dynamic import, so their absence never breaks install, tests
 * or the demo. `auto` picks the fastest backend that loads, in the order tensorflow-gpu,
 * tensorflow, webgpu on a hardware adapter (a software one, such as SwiftShader, is slower than
 * wasm and is skipped), wasm, cpu — fixed, not timed, so the same machine always gets the same
 * backend and the same numbers.
 */
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { registerThreadedWasm } from './wasm-threads.js';
import { describeAdapter, prepareWebGpu, watchWebGpuErrors } from './webgpu-device.js';

export const BACKEND_NAMES = ['wasm', 'cpu', 'webgpu', 'tensorflow', 'tensorflow-gpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
/** What a user may ask for: a backend by name, or `auto`. */
export const BACKEND_CHOICES = ['auto', ...BACKEND_NAMES] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export const isBackendChoice = (s: string): s is BackendChoice => (BACKEND_CHOICES as readonly string[]).includes(s);

export interface BackendOptions {
  /** wasm threads (XNNPACK thread pool); default `RLFLOW_WASM_THREADS` or the number of cores, at most 8. */
  readonly threads?: number;
  /** webgpu: refuse a software adapter (SwiftShader, llvmpipe), as `auto` does; default false. */
  readonly requireHardwareAdapter?: boolean;
}

export interface BackendInfo {
  readonly name: BackendName;
  /** The name tfjs-core knows it by (`tensorflow` for both libtensorflow packages). */
  readonly tfBackend: string;
  /** Threads the backend computes with (wasm: the XNNPACK pool; others: 0 = managed by the backend). */
  readonly threads: number;
  /** Why this backend: the choice made and, for `auto`, what was tried. */
  readonly reason: string;
  /** Where it computes, for logs: the name, and for webgpu the adapter's vendor, architecture and description. */
  readonly device: string;
}

const MAX_WASM_THREADS = 8;

const stockWasmFactory = tf.findBackendFactory('wasm');

const defaultThreads = (): number => {
  const fromEnv = Number(process.env['RLFLOW_WASM_THREADS']);
  const wanted = Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : availableParallelism();
  return Math.max(1, Math.min(MAX_WASM_THREADS, wanted));
};

const NODE_PACKAGES: Readonly<Record<'tensorflow' | 'tensorflow-gpu', string>> = {
  tensorflow: '@tensorflow/tfjs-node',
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
};

/** Loads a user-installed libtensorflow binding; the specifier is a variable so no bundler or type checker requires it. */
const importOptional = async (specifier: string): Promise<void> => {
  await import(specifier);
};

type ProcessEvent = 'uncaughtException' | 'unhandledRejection';
const PROCESS_EVENTS: readonly ProcessEvent[] = ['uncaughtException', 'unhandledRejection'];

/**
 * Activates a tfjs backend. Emscripten's Node glue (wasm) installs process-wide
 * `uncaughtException`/`unhandledRejection` handlers that rethrow and print its whole minified
 * source line; they serve Emscripten's `exit()`, which the backend never calls, so the ones
 * added during initialisation are removed again.
 */
const listenersOf = (event: ProcessEvent): unknown[] =>
  event === 'uncaughtException' ? process.listeners('uncaughtException') : process.listeners('unhandledRejection');

const removeListener = (event: ProcessEvent, listener: unknown): void => {
  if (event === 'uncaughtException') process.removeListener(event, listener as NodeJS.UncaughtExceptionListener);
  else process.removeListener(event, listener as NodeJS.UnhandledRejectionListener);
};

const activate = async (tfBackend: string): Promise<void> => {
  const before = new Map(PROCESS_EVENTS.map((event) => [event, new Set(listenersOf(event))]));
  try {
    if (!(await tf.setBackend(tfBackend))) throw new Error(`backend ${tfBackend} failed to initialise`);
    await tf.ready();
  } finally {
    for (const event of PROCESS_EVENTS) {
      for (const listener of listenersOf(event)) if (!before.get(event)!.has(listener)) removeListener(event, listener);
    }
  }
};

const initOne = async (name: BackendName, options: BackendOptions): Promise<BackendInfo> => {
  tf.env().set('PROD', true);
  switch (name) {
    case 'cpu':
      await activate('cpu');
      return { name, tfBackend: 'cpu', threads: 1, reason: 'cpu: plain-JS fallback', device: name };
    case 'wasm': {
      const threads = options.threads ?? defaultThreads();
      if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`wasm threads: ${threads} is not a positive integer`);
      if (threads > 1) {
        registerThreadedWasm(threads);
      } else if (stockWasmFactory !== null) {
        if (tf.findBackendFactory('wasm') !== null) tf.removeBackend('wasm');
        tf.registerBackend('wasm', stockWasmFactory, 2);
      }
      await activate('wasm');
      const actual = getThreadsCount();
      return { name, tfBackend: 'wasm', threads: actual, reason: `wasm: XNNPACK SIMD, ${actual} thread${actual === 1 ? '' : 's'}`, device: name };
    }
    case 'webgpu': {
      const adapter = await prepareWebGpu(options.requireHardwareAdapter === true);
      await activate('webgpu');
      watchWebGpuErrors(tf.backend());
      const described = describeAdapter(adapter);
      return { name, tfBackend: 'webgpu', threads: 0, reason: `webgpu: ${described}`, device: `webgpu (${described})` };
    }
    case 'tensorflow':
    case 'tensorflow-gpu': {
      const pkg = NODE_PACKAGES[name];
      try {
        await importOptional(pkg);
      } catch (error) {
        throw new Error(
          `${name}: ${pkg} is not installed or does not load (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); see docs/backends.md`,
        );
      }
      await activate('tensorflow');
      return { name, tfBackend: 'tensorflow', threads: 0, reason: `${name}: libtensorflow through ${pkg}`, device: name };
    }
  }
};

const AUTO_ORDER: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'];

/** Makes `choice` the active tfjs backend and says which one runs and why. */
export const initBackend = async (choice: BackendChoice = 'wasm', options: BackendOptions = {}): Promise<BackendInfo> => {
  if (choice !== 'auto') return initOne(choice, options);
  const skipped: string[] = [];
  for (const name of AUTO_ORDER) {
    try {
      const info = await initOne(name, name === 'webgpu' ? { ...options, requireHardwareAdapter: true } : options);
      return { ...info, reason: `auto → ${info.reason}${skipped.length > 0 ? ` (not available: ${skipped.join('; ')})` : ''}` };
    } catch (error) {
      skipped.push(error instanceof Error ? error.message : String(error));
    }
  }
  throw new Error(`auto: no backend initialised: ${skipped.join('; ')}`);
};
