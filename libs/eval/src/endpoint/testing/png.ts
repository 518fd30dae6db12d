/**
 * Small PNGs for tests (MathVista ships no images): a solid-colour image encoded by pngjs, which
 * has no type declarations, so the one call used is typed here.
 */
import { createRequire } from 'node:module';

interface PngModule {
  readonly PNG: {
    new (options: { width: number; height: number }): { data: Buffer };
    readonly sync: { write(png: { data: Buffer }): Buffer };
  };
}
const { PNG } = createRequire(import.meta.url)('pngjs') as PngModule;

/** A `width`×`height` PNG filled with one RGBA colour. */
export const solidPng = (width: number, height: number, rgba: readonly [number, number, number, number] = [255, 255, 255, 255]): Buffer => {
  const image = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) image.data.set(rgba, i * 4);
  return PNG.sync.write(image);
};
