/**
 * How many model positions an image takes in Qwen2.5-VL and Qwen3-VL: the processors' resize
 * rule ("smart resize", Qwen2-VL image processor in Hugging Face transformers), then one token
 * per merge×merge group of patch×patch pixels:
 *
 *   f = patch · merge                                   (28 for Qwen2.5-VL, 32 for Qwen3-VL)
 *   h̄ = max(f, roundHalfEven(h / f) · f),  w̄ likewise
 *   if h̄·w̄ > maxPixels:  β = √(h·w / maxPixels),  h̄ = max(f, ⌊h / β / f⌋ · f),  w̄ likewise
 *   if h̄·w̄ < minPixels:  β = √(minPixels / (h·w)), h̄ = ⌈h · β / f⌉ · f,        w̄ likewise
 *   tokens = (h̄ / f) · (w̄ / f)
 *
 * Python's round() rounds halves to even (round(2.5) = 2), so a 70-pixel side gives 56, not 84.
 * Aspect ratios above 200 are refused, as the processors refuse them. The pixel bounds are the
 * processor's (`min_pixels`/`max_pixels`, or `size.shortest_edge`/`size.longest_edge`, in the
 * model's preprocessor_config.json); the defaults below are the released models' and should be
 * checked against the server's own configuration.
 */
import * as E from 'fp-ts/lib/Either.js';
import { StageError } from '@rlflow/core';

export interface VisionTokenRule {
  readonly patch: number;
  readonly merge: number;
  readonly minPixels: number;
  readonly maxPixels: number;
}

export const VISION_TOKEN_RULES = {
  'qwen2.5-vl': { patch: 14, merge: 2, minPixels: 56 * 56, maxPixels: 28 * 28 * 16384 },
  'qwen3-vl': { patch: 16, merge: 2, minPixels: 256 * 256, maxPixels: 4096 * 4096 },
} as const satisfies Readonly<Record<string, VisionTokenRule>>;

export type VisionTokenRuleName = keyof typeof VISION_TOKEN_RULES;
export const VISION_TOKEN_RULE_NAMES = Object.keys(VISION_TOKEN_RULES) as VisionTokenRuleName[];

/** Python's round(): to the nearest integer, halves to the even neighbour. */
export const roundHalfEven = (x: number): number => {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
};

/** The size the processor resizes a height×width image to. */
export const smartResize = (rule: VisionTokenRule, height: number, width: number): E.Either<StageError, { readonly height: number; readonly width: number }> => {
  const fail = (field: string, detail: string): E.Either<StageError, never> => E.left(new StageError('vision-tokens', field, null, 'out-of-range', detail));
  if (!Number.isSafeInteger(height) || height < 1) return fail('height', `is ${height}, expected a positive integer`);
  if (!Number.isSafeInteger(width) || width < 1) return fail('width', `is ${width}, expected a positive integer`);
  if (Math.max(height, width) / Math.min(height, width) > 200) return fail('width', `${width}×${height}: the aspect ratio is over 200, which the processor refuses`);
  const f = rule.patch * rule.merge;
  let h = Math.max(f, roundHalfEven(height / f) * f);
  let w = Math.max(f, roundHalfEven(width / f) * f);
  if (h * w > rule.maxPixels) {
    const beta = Math.sqrt((height * width) / rule.maxPixels);
    h = Math.max(f, Math.floor(height / beta / f) * f);
    w = Math.max(f, Math.floor(width / beta / f) * f);
  } else if (h * w < rule.minPixels) {
    const beta = Math.sqrt(rule.minPixels / (height * width));
    h = Math.ceil((height * beta) / f) * f;
    w = Math.ceil((width * beta) / f) * f;
  }
  return E.right({ height: h, width: w });
};

/** Image tokens of a height×width image under `rule`. */
export const visionTokens = (rule: VisionTokenRule, height: number, width: number): E.Either<StageError, number> => {
  const f = rule.patch * rule.merge;
  return E.map(({ height: h, width: w }: { height: number; width: number }) => (h / f) * (w / f))(smartResize(rule, height, width));
};
