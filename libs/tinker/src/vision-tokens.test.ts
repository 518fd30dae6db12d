import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import * as fc from 'fast-check';
import { roundHalfEven, smartResize, VISION_TOKEN_RULES, visionTokens } from './vision-tokens.js';

const tokens = (name: keyof typeof VISION_TOKEN_RULES, h: number, w: number): number | string => {
  const n = visionTokens(VISION_TOKEN_RULES[name], h, w);
  return E.isRight(n) ? n.right : n.left.field;
};

describe('image tokens of Qwen2.5-VL and Qwen3-VL', () => {
  // Worked by hand from the rule in the file's header (not produced by the processors themselves).
  it.each([
    ['qwen2.5-vl', 32, 32, 4], // 28×28 < 56²: scaled up to 56×56
    ['qwen2.5-vl', 448, 448, 256],
    ['qwen2.5-vl', 700, 1000, 900], // 700 → 700 (25·28), 1000 → 1008 (36·28)
    ['qwen2.5-vl', 70, 70, 4], // 70/28 = 2.5 rounds to 2 (half to even): 56×56, not 84×84
    ['qwen3-vl', 32, 32, 64], // 32×32 < 256²: scaled by 8 to 256×256
    ['qwen3-vl', 700, 1000, 682], // 700 → 704 (22·32), 1000 → 992 (31·32)
  ] as const)('%s, %i×%i: %i tokens', (name, h, w, n) => {
    expect(tokens(name, h, w)).toBe(n);
  });

  it('resizes to multiples of patch·merge within the pixel bounds, keeping the aspect ratio near', () => {
    fc.assert(
      fc.property(fc.constantFrom('qwen2.5-vl', 'qwen3-vl' as const), fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 5000 }), (name, h, w) => {
        fc.pre(Math.max(h, w) / Math.min(h, w) <= 200);
        const rule = VISION_TOKEN_RULES[name];
        const f = rule.patch * rule.merge;
        const out = smartResize(rule, h, w);
        expect(E.isRight(out)).toBe(true);
        const { height, width } = (out as E.Right<{ height: number; width: number }>).right;
        expect([height % f, width % f]).toEqual([0, 0]);
        expect(height * width).toBeLessThanOrEqual(Math.max(rule.maxPixels, f * f));
        expect(height * width).toBeGreaterThanOrEqual(Math.min(rule.minPixels, (rule.minPixels / (h * w)) * h * w));
      }),
    );
  });

  it('refuses aspect ratios over 200 and sides that are not positive integers, naming the field', () => {
    expect(tokens('qwen2.5-vl', 1, 201)).toBe('width');
    expect(tokens('qwen3-vl', 0, 10)).toBe('height');
    expect([roundHalfEven(2.5), roundHalfEven(3.5), roundHalfEven(2.4), roundHalfEven(2.6)]).toEqual([2, 4, 2, 3]);
  });
});
