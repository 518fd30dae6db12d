/**
 * `npm run test:webgpu`: the suites that run the engine on the `webgpu` backend (`*.webgpu.test.ts`),
 * required to run — a missing adapter fails them here (in `npm test` they are skipped with the
 * reason). Without a Vulkan driver chosen (VK_ICD_FILENAMES / VK_DRIVER_FILES unset) they run on
 * the SwiftShader driver of Debian's chromium package; on a GPU machine, point one of those at
 * the GPU's ICD file to run them there (docs/backends.md).
 */
import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const driverChosen = process.env['VK_ICD_FILENAMES'] !== undefined || process.env['VK_DRIVER_FILES'] !== undefined;

export default defineConfig({
  test: {
    include: ['libs/*/src/**/*.webgpu.test.ts', 'apps/*/src/**/*.webgpu.test.ts', 'tools/src/**/*.webgpu.test.ts'],
    env: { RLFLOW_WEBGPU_REQUIRED: '1', ...(!driverChosen && existsSync(SWIFTSHADER_ICD) ? { VK_ICD_FILENAMES: SWIFTSHADER_ICD } : {}) },
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    // One file at a time: a software adapter computes on the CPU cores the files would share.
    fileParallelism: false,
  },
});
