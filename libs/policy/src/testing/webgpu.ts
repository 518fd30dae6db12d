/**
 * Test support for suites that run on the `webgpu` backend: they run where an adapter exists
 * (a GPU, or SwiftShader selected with VK_ICD_FILENAMES, as `npm run test:webgpu` does) and are
 * reported as skipped, with the reason, where none does. With RLFLOW_WEBGPU_REQUIRED=1 (set by
 * vitest.webgpu.config.ts) a missing adapter fails the suite instead, so CI cannot pass on skips.
 */
import { describe, it } from 'vitest';
import { initBackend, type BackendInfo } from '../backend.js';

export type WebGpuProbe = { readonly available: true; readonly info: BackendInfo } | { readonly available: false; readonly reason: string };

export const webGpuRequired = (): boolean => process.env['RLFLOW_WEBGPU_REQUIRED'] === '1';

/** Makes `webgpu` the active backend if it can be; why not otherwise (thrown when it is required). */
export const probeWebGpu = async (): Promise<WebGpuProbe> => {
  try {
    return { available: true, info: await initBackend('webgpu') };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (webGpuRequired()) throw new Error(`RLFLOW_WEBGPU_REQUIRED=1, but ${reason}`);
    return { available: false, reason };
  }
};

/** `describe(title, body)` where webgpu is available; otherwise one test reported as skipped with the reason. */
export const describeOnWebGpu = (title: string, probe: WebGpuProbe, body: () => void): void => {
  if (probe.available) {
    describe(`${title} [${probe.info.device}]`, body);
    return;
  }
  describe(title, () => {
    it('runs only where a WebGPU adapter exists', (context) => context.skip(probe.reason));
  });
};
