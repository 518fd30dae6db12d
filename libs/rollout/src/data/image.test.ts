import * as E from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../suite/problem.js';
import { decodeImage, encodePng, encodeRgba8Png, resizeImage, sniffFormat, toRgba8, upscaleNearest } from './image.js';

const image = (width: number, height: number, f: (x: number, y: number, c: number) => number): RgbImage => {
  const data = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = f(x, y, c);
  return { width, height, data };
};

const decoded = (bytes: Uint8Array, background?: readonly [number, number, number]): RgbImage => {
  const r = decodeImage(bytes, background);
  if (E.isLeft(r)) throw r.left;
  return r.right;
};

const quantised = fc
  .record({ width: fc.integer({ min: 1, max: 9 }), height: fc.integer({ min: 1, max: 9 }), seed: fc.integer() })
  .map(({ width, height, seed }) => image(width, height, (x, y, c) => ((x * 31 + y * 17 + c * 7 + seed) & 255) / 255));

describe('PNG', () => {
  it('round-trips 8-bit images exactly', () => {
    fc.assert(
      fc.property(quantised, (img) => {
        const back = decoded(encodePng(img));
        expect([back.width, back.height]).toEqual([img.width, img.height]);
        expect(Array.from(toRgba8(back))).toEqual(Array.from(toRgba8(img)));
      }),
      { numRuns: 30 },
    );
  });

  it('composites transparency over the background', () => {
    const png = encodeRgba8Png(2, 1, Uint8Array.from([255, 0, 0, 255, 255, 0, 0, 0]));
    expect(Array.from(decoded(png).data)).toEqual([1, 0, 0, 1, 1, 1]);
    expect(Array.from(decoded(png, [0, 0, 0]).data)).toEqual([1, 0, 0, 0, 0, 0]);
  });

  it('reports corrupt and unknown bytes', () => {
    const png = encodePng(image(4, 4, () => 0.5));
    const truncated = decodeImage(png.slice(0, 30));
    expect(E.isLeft(truncated) && truncated.left.message).toMatch(/corrupt PNG/);
    const unknown = decodeImage(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
    expect(E.isLeft(unknown) && unknown.left.message).toMatch(/not a PNG or JPEG/);
    expect(E.isLeft(decodeImage(new Uint8Array(0)))).toBe(true);
  });
});

describe('JPEG', () => {
  it('decodes close to what was encoded', () => {
    const rgba = new Uint8Array(8 * 8 * 4);
    for (let p = 0; p < 64; p++) rgba.set([200, 40, 90, 255], p * 4);
    const bytes = new Uint8Array(jpeg.encode({ width: 8, height: 8, data: rgba }, 95).data);
    expect(sniffFormat(bytes)).toBe('jpeg');
    const img = decoded(bytes);
    expect([img.width, img.height]).toEqual([8, 8]);
    for (let p = 0; p < 64; p++) {
      expect(img.data[p * 3]!).toBeCloseTo(200 / 255, 1);
      expect(img.data[p * 3 + 1]!).toBeCloseTo(40 / 255, 1);
      expect(img.data[p * 3 + 2]!).toBeCloseTo(90 / 255, 1);
    }
  });

  it('reports a truncated JPEG', () => {
    const bytes = new Uint8Array(jpeg.encode({ width: 8, height: 8, data: new Uint8Array(256).fill(128) }, 90).data);
    const r = decodeImage(bytes.slice(0, 40));
    expect(E.isLeft(r) && r.left.message).toMatch(/corrupt JPEG/);
  });
});

describe('resizeImage', () => {
  it('keeps a constant image constant, both methods, any size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 20 }), fc.constantFrom('area' as const, 'bilinear' as const), (w, h, ow, oh, method) => {
        const out = resizeImage(ow, oh, method)(image(w, h, (_x, _y, c) => [0.2, 0.5, 0.9][c]!));
        expect(out.data.length).toBe(ow * oh * 3);
        out.data.forEach((v, i) => expect(v).toBeCloseTo([0.2, 0.5, 0.9][i % 3]!, 5));
      }),
      { numRuns: 60 },
    );
  });

  it('area: an exact 2× shrink averages 2×2 blocks', () => {
    const src = image(4, 2, (x, y) => x + 10 * y);
    const out = resizeImage(2, 1, 'area')(src);
    expect(Array.from(out.data.filter((_, i) => i % 3 === 0))).toEqual([(0 + 1 + 10 + 11) / 4, (2 + 3 + 12 + 13) / 4]);
  });

  it('area: preserves the mean of the image', () => {
    fc.assert(
      fc.property(quantised, fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }), (img, ow, oh) => {
        const mean = (d: Float32Array): number => d.reduce((a, b) => a + b, 0) / d.length;
        expect(mean(resizeImage(ow, oh, 'area')(img).data)).toBeCloseTo(mean(img.data), 4);
      }),
      { numRuns: 60 },
    );
  });

  it('bilinear: half-pixel centres, clamped at the edges', () => {
    const src = image(2, 1, (x) => x);
    // Upscaling 2 → 4: sample points at -0.25, 0.25, 0.75, 1.25 → clamped 0, 0.25, 0.75, 1.
    expect(Array.from(resizeImage(4, 1, 'bilinear')(src).data.filter((_, i) => i % 3 === 0))).toEqual([0, 0.25, 0.75, 1]);
  });

  it('returns a copy at the same size and refuses bad sizes', () => {
    const src = image(3, 3, () => 0.4);
    const same = resizeImage(3, 3)(src);
    expect(same.data).not.toBe(src.data);
    expect(Array.from(same.data)).toEqual(Array.from(src.data));
    expect(() => resizeImage(0, 3)(src)).toThrow(RangeError);
  });
});

describe('upscaleNearest', () => {
  it('turns each pixel into a k×k block', () => {
    const src = image(2, 1, (x, _y, c) => (x === 0 ? [1, 0, 0][c]! : [0, 0, 1][c]!));
    const out = upscaleNearest(3)(src);
    expect([out.width, out.height]).toEqual([6, 3]);
    for (let y = 0; y < 3; y++) for (let x = 0; x < 6; x++) expect(out.data[(y * 6 + x) * 3 + (x < 3 ? 0 : 2)]).toBe(1);
    expect(() => upscaleNearest(0)(src)).toThrow(RangeError);
  });
});
