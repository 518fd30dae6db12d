/**
 * Multi-threaded wasm backend under Node. tfjs-backend-wasm ships a threaded SIMD build
 * (`tfjs-backend-wasm-threaded-simd.wasm`, Emscripten pthreads over worker_threads), but its
 * loader refuses it under Node (`WASM_HAS_MULTITHREAD_SUPPORT` is false when `IS_NODE`,
 * tensorflow/tfjs#3830) and, in a browser, hands the pthread workers `blob:` URLs that Node's
 * `Worker` cannot open. The Emscripten glue itself supports Node, so this module builds the
 * threaded module directly: the worker script is written to a real file, the main script is
 * given by path, and `emscripten_num_logical_cores` is answered with 2×threads because the
 * backend sizes its XNNPACK thread pool as min(requested, logical cores / 2). The resulting
 * module is wrapped in the package's own `BackendWasm` and registered under the name `wasm`,
 * so the package's registered wasm kernels run on it unchanged.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { BackendWasm, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { writeFileAtomic } from '@rlflow/core';

/** The slice of the WebAssembly JS API used here (Node has it; the node typings do not declare it). */
interface CompiledWasm {
  readonly __compiledWasm?: never;
}
interface WasmInstance {
  readonly exports: object;
}
interface WasmApi {
  compile(bytes: Uint8Array): Promise<CompiledWasm>;
  Instance: new (module: CompiledWasm, imports: object) => WasmInstance;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface EmscriptenImports {
  readonly env: Record<string, unknown>;
}

interface ThreadedModuleConfig {
  locateFile: (path: string) => string;
  mainScriptUrlOrBlob: string;
  instantiateWasm: (imports: EmscriptenImports, receiveInstance: (instance: WasmInstance, module: CompiledWasm) => void) => object;
}

interface EmscriptenModule {
  cwrap: (name: string, returnType: string | null, argTypes: string[]) => (...args: number[]) => number;
  tfjs?: Record<string, (...args: number[]) => number>;
}

type ThreadedFactory = (config: ThreadedModuleConfig) => Promise<EmscriptenModule>;

const require = createRequire(import.meta.url);

const wasmOutDir = (): string => join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');

const THREADED_JS = 'tfjs-backend-wasm-threaded-simd.js';
const THREADED_WASM = 'tfjs-backend-wasm-threaded-simd.wasm';
const THREADED_WORKER = 'tfjs-backend-wasm-threaded-simd.worker.js';

/** Writes the pthread worker script (shipped as a JS string) to a content-addressed file once. */
const workerScriptPath = async (): Promise<string> => {
  const { wasmWorkerContents } = require(join(wasmOutDir(), THREADED_WORKER)) as { wasmWorkerContents: string };
  // The string was written for a template literal: its escaped newlines must stay escaped.
  const source = wasmWorkerContents.replace(/\n/g, '\\n');
  const digest = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const path = join(tmpdir(), `rlflow-tfjs-wasm-worker-${digest}.cjs`);
  if (!existsSync(path)) await writeFileAtomic(path, source);
  return path;
};

const instantiateThreaded = async (threads: number): Promise<EmscriptenModule> => {
  const dir = wasmOutDir();
  const factory = require(join(dir, THREADED_JS)) as ThreadedFactory;
  const worker = await workerScriptPath();
  const compiled = await wasmApi.compile(readFileSync(join(dir, THREADED_WASM)));
  const module = await factory({
    locateFile: (path) => (path.endsWith('.worker.js') ? worker : join(dir, path)),
    mainScriptUrlOrBlob: join(dir, THREADED_JS),
    instantiateWasm: (imports, receiveInstance) => {
      imports.env['emscripten_num_logical_cores'] = () => 2 * threads;
      const instance = new wasmApi.Instance(compiled, imports);
      receiveInstance(instance, compiled);
      return instance.exports;
    },
  });
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  return module;
};

const WASM_PRIORITY = 2;

/** Replaces the registered `wasm` backend factory with the threaded build using `threads` threads. */
export const registerThreadedWasm = (threads: number): void => {
  setThreadsCount(threads);
  if (tf.findBackendFactory('wasm') !== null) tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => new BackendWasm((await instantiateThreaded(threads)) as unknown as ConstructorParameters<typeof BackendWasm>[0]),
    WASM_PRIORITY,
  );
};
