/**
 * The onnxruntime passes' shape buckets: U and R rounded up to a multiple of max(1, ⌊B/8⌋),
 * never below the count nor beyond max(count, B); two micro-batches whose packed shapes fall in
 * one bucket share a session, and their log-probs match the unbucketed engine's rows.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { initialWeights, tinyPolicyConfig, type TeacherForcedRequest } from '@rlflow/policy';
import { contractSequences } from '@rlflow/policy/engine/contract-fixtures';
import { OrtTeacherForcedPasses, shapeBucket } from './ort-passes.js';

describe('shapeBucket', () => {
  it('rounds up to a multiple of max(1, ⌊B/8⌋) without passing max(n, B), adding less than one step', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 512 }), fc.integer({ min: 1, max: 512 }), (a, b) => {
        const [n, batch] = [Math.min(a, b), Math.max(a, b)];
        const step = Math.max(1, Math.floor(batch / 8));
        const bucket = shapeBucket(n, batch);
        expect(bucket).toBeGreaterThanOrEqual(n);
        expect(bucket).toBeLessThanOrEqual(batch);
        expect(bucket - n).toBeLessThan(step);
        expect(bucket % step === 0 || bucket === batch).toBe(true);
      }),
    );
  });
});

describe('OrtTeacherForcedPasses', () => {
  it('serves packed micro-batches of one bucket with one session, each row scored as when run alone', async () => {
    const passes = new OrtTeacherForcedPasses(tinyPolicyConfig, { threads: 1, packResponses: true });
    const weights = initialWeights(tinyPolicyConfig, 3);
    const width = 8;
    // 16 rows (step 2) in 4 groups, responses of 7 tokens but the first `short` rows' of 1, each sharing a 7's row.
    const batch = (short: number): TeacherForcedRequest => {
      const sequences = Array.from({ length: 16 }, (_, b) => ({ ...contractSequences[b % 4]!, responseTokens: Array.from({ length: b < short ? 1 : 7 }, (_, t) => 20 + t) }));
      return { weights, sequences, rows: sequences.map((_, b) => b), responseWidth: width, flags: undefined, entropy: false };
    };
    try {
      // Two short rows pack 16 responses into 14 suffix rows, three into 13, rounded up to 14.
      const two = await passes.run(batch(2));
      const three = await passes.run(batch(3));
      expect(passes.sessionCount()).toBe(1);
      expect(two.tokens).toBe(three.tokens);
      for (const [out, short] of [
        [two, 2],
        [three, 3],
      ] as const) {
        for (const row of [0, short, 15]) {
          const alone = await passes.run({ ...batch(short), rows: [row] });
          const packed = out.logp.subarray(row * width, (row + 1) * width);
          expect(Math.max(...Array.from(packed, (x, t) => Math.abs(x - alone.logp[t]!)))).toBeLessThanOrEqual(1e-5);
        }
      }
    } finally {
      await passes.dispose();
    }
  });
});
