/**
 * The clip-bounds stage and its RxJS operator (docs/algorithms.md §4): bounds from per-sequence
 * advantages broadcast over the mask; marble test of the operator, errors as stream errors.
 */
import { describe, expect, it } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { firstValueFrom, of } from 'rxjs';
import * as E from 'fp-ts/lib/Either.js';
import { StageError, matrix, unwrap, type Batch } from '@rlflow/core';
import { aaac, aaacBound, AAAC_DEFAULTS } from './aaac.js';
import { clipBounds } from './clip-bounds.operator.js';
import { clipBoundsStage } from './clip-bounds.stage.js';
import { fixed } from './fixed.js';

const batchOf = (advantages: number[] | undefined, cols = 3): Batch => {
  const rows = advantages?.length ?? 2;
  return {
    groupIds: new Int32Array(rows),
    promptKeys: Array.from({ length: rows }, () => 'p0'),
    rewards: new Float64Array(rows),
    correct: new Uint8Array(rows),
    lengths: new Int32Array(rows).fill(cols),
    mask: matrix(rows, cols, new Float64Array(rows * cols).fill(1)),
    oldLogp: matrix(rows, cols),
    ...(advantages === undefined ? {} : { advantages: Float64Array.from(advantages) }),
  };
};

describe('clipBoundsStage', () => {
  it('fills clipBounds from the per-sequence advantages broadcast over the mask shape', () => {
    const batch = batchOf([1.5, -0.5]);
    const out = unwrap(clipBoundsStage(aaac())(batch));
    expect(out.clipBounds?.epsHigh.rows).toBe(2);
    expect(out.clipBounds?.epsHigh.cols).toBe(3);
    for (const [r, a] of [1.5, -0.5].entries()) {
      const bound = aaacBound(AAAC_DEFAULTS, a);
      for (let c = 0; c < 3; c++) {
        expect(out.clipBounds?.epsHigh.data[r * 3 + c]).toBe(bound.epsHigh);
        expect(out.clipBounds?.epsLow.data[r * 3 + c]).toBe(bound.epsLow);
      }
    }
    expect(out.advantages).toBe(batch.advantages);
    expect(batch.clipBounds).toBeUndefined();
  });

  it('is an error without advantages, or with one per sequence missing', () => {
    const missing = clipBoundsStage(fixed({ epsLow: 0.2, epsHigh: 0.2 }))(batchOf(undefined));
    expect(E.isLeft(missing) && [missing.left.field, missing.left.kind]).toEqual(['advantages', 'invalid']);
    const short = clipBoundsStage(fixed({ epsLow: 0.2, epsHigh: 0.2 }))({ ...batchOf([1, 2]), advantages: Float64Array.from([1]) });
    expect(E.isLeft(short) && [short.left.field, short.left.kind]).toEqual(['advantages', 'length-mismatch']);
    const nan = clipBoundsStage(aaac())(batchOf([1, Number.NaN]));
    expect(E.isLeft(nan) && [nan.left.field, nan.left.index, nan.left.kind]).toEqual(['advantages', 1, 'not-finite']);
  });
});

describe('clipBounds operator', () => {
  it('maps each batch of the stream through the stage', async () => {
    const out = await firstValueFrom(of(batchOf([0.3, 0.1])).pipe(clipBounds(aaac())));
    expect(out.clipBounds?.epsHigh.data[0]).toBe(aaacBound(AAAC_DEFAULTS, 0.3).epsHigh);
  });

  it('keeps the timing of its source and errors the stream with the StageError of a bad batch', () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    const good = batchOf([1, 0]);
    const bad = batchOf(undefined);
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('a-b-c|', { a: good, b: bad, c: good });
      const expected = unwrap(clipBoundsStage(aaac())(good));
      const error = new StageError('clip.bounds', 'advantages', null, 'invalid', 'is missing: compute advantages before clip bounds');
      expectObservable(source.pipe(clipBounds(aaac()))).toBe('a-#', { a: expected }, error);
    });
  });
});
