/**
 * The WebGPU device under Node: Dawn's Node bindings (the optional `webgpu` package, prebuilt
 * for linux-x64, macOS and Windows inside the npm package) give `navigator.gpu`, which
 * `@tensorflow/tfjs-backend-webgpu` (optional too) needs before it is imported — it registers
 * its backend only where `navigator.gpu` exists. Dawn drives the vendor's Vulkan (Linux), Metal
 * (macOS) or D3D12 (Windows) driver; without a GPU, the SwiftShader Vulkan driver of Debian's
 * `chromium` package stands in (docs/backends.md). The adapter is asked for here first, so a
 * machine without one gets an error naming what to install, and its vendor and description are
 * known before the backend starts.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The slice of the WebGPU API used here (`@webgpu/types` is not a dependency of the type check). */
export interface WebGpuAdapterInfo {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  readonly isFallbackAdapter?: boolean;
}

interface WebGpuAdapter {
  readonly info: WebGpuAdapterInfo;
}

interface WebGpuDevice {
  addEventListener(type: 'uncapturederror', listener: (event: { readonly error: { readonly message: string } }) => void): void;
}

interface WebGpu {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<WebGpuAdapter | null>;
}

interface DawnModule {
  create(flags: string[]): WebGpu;
  readonly globals: Record<string, unknown>;
}

/** The optional packages, in the order they must load. */
export const WEBGPU_PACKAGES = ['webgpu', '@tensorflow/tfjs-backend-webgpu'] as const;

/** The SwiftShader Vulkan driver Debian's chromium package installs. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

const INSTALL_HINT =
  `on a GPU machine install its vendor's Vulkan driver and the Vulkan loader (Debian: libvulkan1); ` +
  `without a GPU, SwiftShader: \`apt-get install chromium libvulkan1\` and ` +
  `VK_ICD_FILENAMES=${SWIFTSHADER_ICD} (see docs/backends.md)`;

/** Loads an optional package; the specifier is a variable so neither tsc nor a bundler requires it. */
const importOptional = async <A>(specifier: string): Promise<A> => (await import(specifier)) as A;

/** Mesa's and SwiftShader's Vulkan loaders complain on stderr without it; a private directory of this user's does. */
const ensureRuntimeDir = (): void => {
  if (process.env['XDG_RUNTIME_DIR'] !== undefined) return;
  const dir = join(tmpdir(), `rlflow-xdg-${process.getuid?.() ?? 'user'}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  process.env['XDG_RUNTIME_DIR'] = dir;
};

const firstLine = (error: unknown): string => (error instanceof Error ? error.message.split('\n')[0]! : String(error));

/** True for a CPU implementation of the API (SwiftShader, llvmpipe/lavapipe, WARP): slower than wasm for this model. */
export const isSoftwareAdapter = (info: WebGpuAdapterInfo): boolean =>
  info.isFallbackAdapter === true || /swiftshader|llvmpipe|lavapipe|microsoft basic render/i.test(`${info.vendor} ${info.architecture} ${info.device} ${info.description}`);

/** "vendor architecture, description" (empty fields left out), marked when it is a software adapter. */
export const describeAdapter = (info: WebGpuAdapterInfo): string => {
  const name = [info.vendor, info.architecture].filter((s) => s.length > 0).join(' ') || 'unnamed adapter';
  const detail = [info.device, info.description].filter((s) => s.length > 0).join(', ');
  return `${name}${detail.length > 0 ? ` (${detail})` : ''}${isSoftwareAdapter(info) ? ', a software adapter' : ''}`;
};

let gpu: WebGpu | undefined;

/** `navigator.gpu` from Dawn, installed once with the WebGPU globals (GPUBufferUsage, …) the backend reads. */
const installNavigatorGpu = async (): Promise<WebGpu> => {
  if (gpu !== undefined) return gpu;
  let dawn: DawnModule;
  try {
    dawn = await importOptional<DawnModule>(WEBGPU_PACKAGES[0]);
  } catch (error) {
    throw new Error(`webgpu: the optional package "webgpu" is not installed or does not load (${firstLine(error)}); npm ci installs it unless optional dependencies are omitted`);
  }
  ensureRuntimeDir();
  const created = dawn.create([]);
  const scope = globalThis as Record<string, unknown>;
  for (const [name, value] of Object.entries(dawn.globals)) if (!(name in scope)) scope[name] = value;
  const navigator = scope['navigator'] as Record<string, unknown> | undefined;
  if (navigator === undefined) scope['navigator'] = { gpu: created };
  else if (navigator['gpu'] === undefined) Object.defineProperty(navigator, 'gpu', { value: created, configurable: true });
  gpu = created;
  return created;
};

/**
 * Makes the `webgpu` tfjs backend available and returns the adapter it will run on (the
 * backend asks for the same high-performance adapter). Throws, naming what to install, when
 * the packages are missing or no adapter exists, and when `hardwareOnly` and the adapter is a
 * software one.
 */
export const prepareWebGpu = async (hardwareOnly: boolean): Promise<WebGpuAdapterInfo> => {
  const navigatorGpu = await installNavigatorGpu();
  const adapter = await navigatorGpu.requestAdapter({ powerPreference: 'high-performance' });
  if (adapter === null) throw new Error(`webgpu: no WebGPU adapter found; ${INSTALL_HINT}`);
  const info = adapter.info;
  if (hardwareOnly && isSoftwareAdapter(info)) {
    throw new Error(`webgpu: the only adapter is ${describeAdapter(info)}, a CPU emulation slower than wasm (ask for it with --backend webgpu)`);
  }
  try {
    await importOptional<unknown>(WEBGPU_PACKAGES[1]);
  } catch (error) {
    throw new Error(`webgpu: the optional package "${WEBGPU_PACKAGES[1]}" is not installed or does not load (${firstLine(error)})`);
  }
  return { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description, isFallbackAdapter: info.isFallbackAdapter === true };
};

const deviceErrors: string[] = [];
const watched = new WeakSet<object>();

/**
 * Collects the uncaptured errors of the device behind the active tfjs `webgpu` backend. Dawn
 * reports an invalid pipeline or command buffer as an event, not an exception, and the result
 * of the failed dispatch is then garbage; the engine turns collected errors into a StageError.
 */
export const watchWebGpuErrors = (backend: unknown): void => {
  const device = (backend as { device?: WebGpuDevice } | null)?.device;
  if (device === undefined || watched.has(device)) return;
  watched.add(device);
  device.addEventListener('uncapturederror', (event) => deviceErrors.push(event.error.message.split('\n')[0]!));
};

/** The device errors collected since the last call, cleared. */
export const takeWebGpuErrors = (): string[] => deviceErrors.splice(0);
