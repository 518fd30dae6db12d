/**
 * Image bytes ⇄ `RgbImage` (HWC RGB in [0, 1]).
 *
 * Decoding: the format is sniffed from the magic bytes (PNG `89 50 4E 47`, JPEG `FF D8 FF`);
 * PNG through pngjs (any bit depth, palette, grey; 16-bit is rescaled to 8), JPEG through
 * jpeg-js. Alpha is composited over `background` (white by default):
 * `rgb = α·rgb + (1 − α)·background`.
 *
 * Resizing to the model's input (`resizeImage`), two methods:
 * - `area` (default): each output pixel is the mean of the source rectangle it covers,
 *   weighted by overlap: out(x) = Σ_s w(s,x)·in(s) / Σ_s w(s,x) with w the length of
 *   [s, s+1) ∩ [x·W/w, (x+1)·W/w) (separable, rows then columns). The right filter for
 *   shrinking a photo or chart to 32×32: no aliasing.
 * - `bilinear`: half-pixel centres (align_corners = false, as tf.image.resizeBilinear with
 *   halfPixelCenters): src = (x + 0.5)·W/w − 0.5, clamped to [0, W − 1], linear between
 *   the two nearest pixels. Aliases when shrinking by more than 2×.
 * Both stretch to the target size (no letterboxing).
 *
 * Encoding: 8-bit RGBA PNG (x → round(255·clamp(x, 0, 1)), α = 255), and nearest-neighbour
 * upscaling by an integer factor for human viewing.
 */
import { createRequire } from 'node:module';
import * as E from 'fp-ts/lib/Either.js';
import jpeg from 'jpeg-js';
import type { RgbImage } from '../suite/problem.js';

export interface PngData {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}
interface PngModule {
  readonly PNG: {
    readonly sync: {
      read(buffer: Buffer, options?: { readonly checkCRC?: boolean }): PngData;
      write(png: PngData, options?: { readonly colorType?: number; readonly inputColorType?: number }): Buffer;
    };
  };
}
// pngjs ships no type declarations; this is the part of its API used here.
const { PNG } = createRequire(import.meta.url)('pngjs') as PngModule;

export type ImageFormat = 'png' | 'jpeg';
export type ResizeMethod = 'area' | 'bilinear';
export const RESIZE_METHODS: readonly ResizeMethod[] = ['area', 'bilinear'];

export class ImageDecodeError extends Error {
  readonly _tag = 'ImageDecodeError' as const;
  override readonly name = 'ImageDecodeError';
}

export const sniffFormat = (bytes: Uint8Array): ImageFormat | undefined => {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
};

/** Largest image accepted, in pixels (guards memory against a hostile header). */
export const MAX_DECODED_PIXELS = 50_000_000;

const fromRgba = (width: number, height: number, rgba: Uint8Array, background: readonly [number, number, number]): RgbImage => {
  const data = new Float32Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    const alpha = rgba[p * 4 + 3]! / 255;
    for (let c = 0; c < 3; c++) data[p * 3 + c] = alpha * (rgba[p * 4 + c]! / 255) + (1 - alpha) * background[c]!;
  }
  return { width, height, data };
};

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The 8-bit RGBA pixels of a PNG (width·height·4 bytes), the inverse of `encodeRgba8Png`. */
export const decodeRgba8Png = (bytes: Uint8Array): E.Either<ImageDecodeError, PngData> => {
  try {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    if (png.width * png.height > MAX_DECODED_PIXELS) return E.left(new ImageDecodeError(`PNG of ${png.width}×${png.height} is too large`));
    return E.right(png);
  } catch (error) {
    return E.left(new ImageDecodeError(`corrupt PNG: ${message(error)}`));
  }
};

export const decodeImage = (
  bytes: Uint8Array,
  background: readonly [number, number, number] = [1, 1, 1],
): E.Either<ImageDecodeError, RgbImage> => {
  const format = sniffFormat(bytes);
  if (format === undefined) return E.left(new ImageDecodeError('not a PNG or JPEG image (unrecognised leading bytes)'));
  if (format === 'png') return E.map((png: PngData) => fromRgba(png.width, png.height, png.data, background))(decodeRgba8Png(bytes));
  try {
    const decoded = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_DECODED_PIXELS / 1e6, maxMemoryUsageInMB: 1024 });
    return E.right(fromRgba(decoded.width, decoded.height, decoded.data, background));
  } catch (error) {
    return E.left(new ImageDecodeError(`corrupt ${format.toUpperCase()}: ${message(error)}`));
  }
};

/** Per output index, the source indices and weights of the area filter along one axis. */
const areaWeights = (inSize: number, outSize: number): Array<Array<readonly [number, number]>> => {
  const scale = inSize / outSize;
  return Array.from({ length: outSize }, (_, o) => {
    const lo = o * scale;
    const hi = (o + 1) * scale;
    const taps: Array<readonly [number, number]> = [];
    for (let s = Math.floor(lo); s < Math.min(inSize, Math.ceil(hi)); s++) {
      const w = Math.min(hi, s + 1) - Math.max(lo, s);
      if (w > 0) taps.push([s, w / scale]);
    }
    return taps;
  });
};

/** Half-pixel-centre linear taps along one axis. */
const bilinearWeights = (inSize: number, outSize: number): Array<Array<readonly [number, number]>> => {
  const scale = inSize / outSize;
  return Array.from({ length: outSize }, (_, o) => {
    const src = Math.min(inSize - 1, Math.max(0, (o + 0.5) * scale - 0.5));
    const s0 = Math.floor(src);
    const s1 = Math.min(inSize - 1, s0 + 1);
    const f = src - s0;
    return f === 0 || s1 === s0 ? [[s0, 1] as const] : [[s0, 1 - f] as const, [s1, f] as const];
  });
};

export const resizeImage =
  (width: number, height: number, method: ResizeMethod = 'area') =>
  (image: RgbImage): RgbImage => {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
      throw new RangeError(`resizeImage: target ${width}×${height} is not a positive integer size`);
    }
    if (image.width === width && image.height === height) return { width, height, data: image.data.slice() };
    const weights = method === 'area' ? areaWeights : bilinearWeights;
    const xTaps = weights(image.width, width);
    const yTaps = weights(image.height, height);
    // Columns first: [image.height, width], then rows: [height, width].
    const tmp = new Float32Array(image.height * width * 3);
    for (let y = 0; y < image.height; y++) {
      for (let x = 0; x < width; x++) {
        for (const [s, w] of xTaps[x]!) {
          for (let c = 0; c < 3; c++) tmp[(y * width + x) * 3 + c]! += w * image.data[(y * image.width + s) * 3 + c]!;
        }
      }
    }
    const out = new Float32Array(height * width * 3);
    for (let y = 0; y < height; y++) {
      for (const [s, w] of yTaps[y]!) {
        for (let i = 0; i < width * 3; i++) out[y * width * 3 + i]! += w * tmp[s * width * 3 + i]!;
      }
    }
    return { width, height, data: out };
  };

/** Each pixel becomes a `factor`×`factor` block. */
export const upscaleNearest =
  (factor: number) =>
  (image: RgbImage): RgbImage => {
    if (!Number.isInteger(factor) || factor < 1) throw new RangeError(`upscaleNearest: factor ${factor} is not a positive integer`);
    const width = image.width * factor;
    const height = image.height * factor;
    const data = new Float32Array(width * height * 3);
    for (let y = 0; y < height; y++) {
      const sy = Math.floor(y / factor);
      for (let x = 0; x < width; x++) {
        const from = (sy * image.width + Math.floor(x / factor)) * 3;
        const to = (y * width + x) * 3;
        data[to] = image.data[from]!;
        data[to + 1] = image.data[from + 1]!;
        data[to + 2] = image.data[from + 2]!;
      }
    }
    return { width, height, data };
  };

export const toRgba8 = (image: RgbImage): Uint8Array => {
  const rgba = new Uint8Array(image.width * image.height * 4);
  for (let p = 0; p < image.width * image.height; p++) {
    for (let c = 0; c < 3; c++) rgba[p * 4 + c] = Math.round(Math.min(1, Math.max(0, image.data[p * 3 + c]!)) * 255);
    rgba[p * 4 + 3] = 255;
  }
  return rgba;
};

/** An 8-bit RGBA PNG of `rgba` (width·height·4 bytes). */
export const encodeRgba8Png = (width: number, height: number, rgba: Uint8Array): Uint8Array =>
  new Uint8Array(PNG.sync.write({ width, height, data: Buffer.from(rgba) }));

export const encodePng = (image: RgbImage): Uint8Array => encodeRgba8Png(image.width, image.height, toRgba8(image));
