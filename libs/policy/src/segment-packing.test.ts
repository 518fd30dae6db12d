/**
 * Response packing (segment-packing.ts) on random groups and response lengths: every response
 * token gets its own slot in a row of its group, contiguous from its start column; the rows
 * never overflow and are no more than the unpacked ones; ids and positions move with the tokens;
 * each slot's attention keys are exactly those of its unpacked (row, column); slot round trips
 * restore the values; and short responses do share rows.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { geometry, tinyPolicyConfig, type PolicyConfig } from './config.js';
import type { LayoutInput } from './layout.js';
import { fromSlots, packSegments, segmentAttentionBias, toSlots } from './segment-packing.js';
import { PAD_ID } from './tokenizer.js';
import { buildPackedLayout, prefixGroups, suffixAttentionBias, type PackedLayout } from './shared-prefix.js';

const config: PolicyConfig = { ...tinyPolicyConfig, maxPromptTokens: 6, maxResponseTokens: 8 };
const { imageTokens } = geometry(config);
const pixels = config.imageSize * config.imageSize * 3;

/** A batch: per row its group (prompt and image) and response length; the prompt of group g has g % 3 + 1 tokens. */
const batchArbitrary = fc.record({
  width: fc.integer({ min: 1, max: config.maxResponseTokens }),
  rows: fc.array(fc.record({ group: fc.integer({ min: 0, max: 3 }), length: fc.nat() }), { minLength: 1, maxLength: 12 }),
});

const layoutOf = (width: number, rows: readonly { group: number; length: number }[]): PackedLayout => {
  const inputs: LayoutInput[] = rows.map(({ group, length }, b) => ({
    image: new Float32Array(pixels).fill(group / 4),
    promptTokens: Array.from({ length: (group % 3) + 1 }, (_, j) => 7 + group + j),
    responseTokens: Array.from({ length: length % (width + 1) }, (_, t) => 7 + ((b * 5 + t) % (config.vocabSize - 7))),
  }));
  return buildPackedLayout(config, inputs, prefixGroups(inputs, imageTokens), width);
};

describe('packSegments', () => {
  it('gives every response token one slot, contiguous, in a row of its own group that never overflows', () => {
    fc.assert(
      fc.property(batchArbitrary, ({ width, rows }) => {
        const layout = layoutOf(width, rows);
        const packing = packSegments(layout);
        const seen = new Set<number>();
        const nonEmpty = layout.responseLengths.filter((n) => n > 0).length;
        expect(packing.rows).toBeLessThanOrEqual(Math.max(1, nonEmpty));
        layout.responseLengths.forEach((length, b) => {
          if (length === 0) return;
          const r = packing.rowOf[b]!;
          expect(packing.rowGroup[r]).toBe(layout.groups.groupOf[b]);
          expect(packing.startOf[b]! + length).toBeLessThanOrEqual(width);
          for (let t = 0; t < length; t++) {
            const slot = r * width + packing.startOf[b]! + t;
            expect(seen.has(slot)).toBe(false);
            seen.add(slot);
            const c = packing.startOf[b]! + t;
            expect(packing.slotIds[c * packing.rows + r]).toBe(layout.suffixIds[t * layout.batch + b]);
            expect(packing.slotPositions[c * packing.rows + r]).toBe(layout.suffixPositions[t * layout.batch + b]);
          }
          expect(packing.midRowStarts[r * width + packing.startOf[b]!]).toBe(packing.startOf[b]! > 0 ? 1 : 0);
        });
        expect(seen.size).toBe(layout.responseLengths.reduce((n, x) => n + x, 0));
        expect(packing.midRowStarts.reduce((n, x) => n + x, 0)).toBe(layout.responseLengths.filter((n, b) => n > 0 && packing.startOf[b]! > 0).length);
        expect(packing.packsRows).toBe(packing.midRowStarts.some((x) => x === 1));
      }),
    );
  });

  it('gives each slot exactly the attention keys of its unpacked position', () => {
    fc.assert(
      fc.property(batchArbitrary, ({ width, rows }) => {
        const layout = layoutOf(width, rows);
        const packing = packSegments(layout);
        const sp = layout.prefix.seq;
        const packed = segmentAttentionBias(layout, packing);
        const unpacked = suffixAttentionBias(layout);
        layout.responseLengths.forEach((length, b) => {
          for (let t = 0; t < length; t++) {
            const c = packing.startOf[b]! + t;
            const packedRow = packed.subarray((c * packing.rows + packing.rowOf[b]!) * (sp + width), (c * packing.rows + packing.rowOf[b]! + 1) * (sp + width));
            const unpackedRow = unpacked.subarray((t * layout.batch + b) * (sp + width), (t * layout.batch + b + 1) * (sp + width));
            expect(Array.from(packedRow.subarray(0, sp))).toEqual(Array.from(unpackedRow.subarray(0, sp)));
            const visible = (row: Float32Array, from: number): number[] => Array.from(row.subarray(sp)).flatMap((x, j) => (x === 0 ? [j - from] : []));
            expect(visible(packedRow, packing.startOf[b]!)).toEqual(visible(unpackedRow, 0));
          }
        });
      }),
    );
  });

  it('moves values to the slots and back, zeroing the columns past each response', () => {
    fc.assert(
      fc.property(batchArbitrary, fc.integer(), ({ width, rows }, seed) => {
        const layout = layoutOf(width, rows);
        const packing = packSegments(layout);
        const values = Float32Array.from({ length: layout.batch * width }, (_, i) => ((seed + i * 7919) % 1000) / 10);
        const back = fromSlots(packing, toSlots(packing, values));
        layout.responseLengths.forEach((length, b) => {
          for (let t = 0; t < width; t++) expect(back[b * width + t]).toBe(t < length ? values[b * width + t] : 0);
        });
      }),
    );
  });

  it('puts short responses of one group in one row, longest first', () => {
    const layout = layoutOf(8, [
      { group: 0, length: 3 },
      { group: 0, length: 5 },
      { group: 0, length: 8 },
      { group: 1, length: 2 },
      { group: 0, length: 0 },
    ]);
    const packing = packSegments(layout);
    expect(packing.rows).toBe(3);
    expect(Array.from(packing.rowGroup)).toEqual([0, 0, 1]);
    expect([packing.rowOf[2], packing.startOf[2]]).toEqual([0, 0]);
    expect([packing.rowOf[1], packing.startOf[1]]).toEqual([1, 0]);
    expect([packing.rowOf[0], packing.startOf[0]]).toEqual([1, 5]);
    expect(packing.packsRows).toBe(true);
  });

  it('adds empty rows of group 0 up to the rounded row count, leaving the others as they were', () => {
    const layout = layoutOf(8, [
      { group: 2, length: 2 },
      { group: 1, length: 6 },
      { group: 1, length: 2 },
    ]);
    const packed = packSegments(layout);
    const padded = packSegments(layout, { roundRows: (rows) => Math.max(rows, 4) });
    expect([packed.rows, padded.rows]).toEqual([2, 4]);
    expect(Array.from(padded.rowGroup)).toEqual([1, 0, 0, 0]);
    expect([...padded.rowOf, ...padded.startOf]).toEqual([...packed.rowOf, ...packed.startOf]);
    const values = Float32Array.from({ length: 24 }, (_, i) => i + 1);
    expect(Array.from(fromSlots(padded, toSlots(padded, values)))).toEqual([1, 2, 0, 0, 0, 0, 0, 0, 9, 10, 11, 12, 13, 14, 0, 0, 17, 18, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(padded.slotIds.filter((_, i) => i % 4 >= 2))).toEqual(Array.from({ length: 16 }, () => PAD_ID));
  });

  it('gives each non-empty response a row of its own when rows are not shared', () => {
    fc.assert(
      fc.property(batchArbitrary, ({ width, rows }) => {
        const layout = layoutOf(width, rows);
        const packing = packSegments(layout, { shareRows: false });
        const nonEmpty = layout.responseLengths.filter((n) => n > 0).length;
        expect(packing.rows).toBe(Math.max(1, nonEmpty));
        expect(packing.packsRows).toBe(false);
        layout.responseLengths.forEach((n, b) => n > 0 && expect(packing.startOf[b]).toBe(0));
        expect(new Set(layout.responseLengths.flatMap((n, b) => (n > 0 ? [packing.rowOf[b]] : []))).size).toBe(nonEmpty);
      }),
    );
  });

  it('keeps one empty row when no response has a token', () => {
    const packing = packSegments(layoutOf(4, [{ group: 2, length: 0 }]));
    expect(packing.rows).toBe(1);
    expect(packing.packsRows).toBe(false);
    expect(Array.from(packing.midRowStarts)).toEqual([0, 0, 0, 0]);
  });
});
