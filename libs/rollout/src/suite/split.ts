/**
 * Content addressing for the synthetic suite. A problem's content key is
 * `sha256(pixels as bytes ‖ 0 ‖ question ‖ 0 ‖ choices joined by 1 ‖ 0 ‖ answer)`, the pixels
 * quantised to round(255·x). Its split is a function of that key alone:
 * with b = (first four bytes of the key, big-endian) mod 100,
 * test ⇔ b < TEST_PERCENT, validation ⇔ TEST_PERCENT ≤ b < TEST_PERCENT + VALIDATION_PERCENT,
 * train otherwise. So the same problem (same image, question, choices, answer: however, at
 * whatever level or seed it was generated) always lands in the same split, and the splits are
 * disjoint by construction: b falls in exactly one of three disjoint ranges. Validation was cut
 * from what used to be train, so every test problem of the two-way split is still a test problem
 * (the same seed draws the same test problem) and held-out test figures stay comparable.
 */
import { createHash } from 'node:crypto';
import type { RgbImage, Split } from './problem.js';

/** Share of the content space that belongs to the test split, in percent. */
export const TEST_PERCENT = 20;
/** Share of the content space that belongs to the validation split, in percent. */
export const VALIDATION_PERCENT = 10;

export interface ProblemContent {
  readonly image: RgbImage;
  readonly question: string;
  readonly choices?: readonly string[];
  readonly answer: string;
}

export const imageBytes = (image: RgbImage): Uint8Array => {
  const bytes = new Uint8Array(image.data.length);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.round(Math.min(1, Math.max(0, image.data[i]!)) * 255);
  return bytes;
};

/** The content key as 64 hex digits. */
export const contentKey = (content: ProblemContent): string =>
  createHash('sha256')
    .update(imageBytes(content.image))
    .update('\u0000')
    .update(content.question)
    .update('\u0000')
    .update((content.choices ?? []).join('\u0001'))
    .update('\u0000')
    .update(content.answer)
    .digest('hex');

/** The bucket in [0, 100) of a content key: its first four bytes, big-endian, mod 100. */
export const bucketOfKey = (key: string): number => Number.parseInt(key.slice(0, 8), 16) % 100;

export const splitOfBucket = (bucket: number): Split =>
  bucket < TEST_PERCENT ? 'test' : bucket < TEST_PERCENT + VALIDATION_PERCENT ? 'validation' : 'train';

export const splitOfKey = (key: string): Split => splitOfBucket(bucketOfKey(key));

export const splitOf = (content: ProblemContent): Split => splitOfKey(contentKey(content));
