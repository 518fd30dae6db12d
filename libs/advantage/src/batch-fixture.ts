/** Small `Batch` values for the tests of the batch stages and their operators (not exported from the package). */
import { matrix, type Batch } from '@rlflow/core';

export interface FixtureRow {
  readonly group: number;
  readonly reward: number;
  readonly correct: number;
  readonly length: number;
}

/** One sequence per row; the mask covers each row's `length` tokens of a [B, max length] padding. */
export const batchOf = (rows: readonly FixtureRow[]): Batch => {
  const cols = Math.max(1, ...rows.map((r) => r.length));
  const mask = matrix(rows.length, cols);
  rows.forEach((r, i) => mask.data.fill(1, i * cols, i * cols + r.length));
  return {
    groupIds: Int32Array.from(rows, (r) => r.group),
    promptKeys: rows.map((r) => `prompt-${r.group}`),
    rewards: Float64Array.from(rows, (r) => r.reward),
    correct: Uint8Array.from(rows, (r) => r.correct),
    lengths: Int32Array.from(rows, (r) => r.length),
    mask,
    oldLogp: matrix(rows.length, cols),
  };
};
