/**
 * Rollout groups → the `Batch` the algorithm stages take (libs/core batch.ts): the groups'
 * responses stacked in order (group g's G samples get group id g), their sequence-level fields
 * concatenated and their per-token fields stacked into [B, T] matrices, T the widest group's
 * width (narrower groups padded with mask 0).
 */
import * as E from 'fp-ts/lib/Either.js';
import { matrix, StageError, type Batch, type Matrix } from '@rlflow/core';
import type { RolloutGroup } from './group.js';

const stack = (parts: readonly Matrix[], rows: number, cols: number): Matrix => {
  const out = new Float64Array(rows * cols);
  let row = 0;
  for (const part of parts) {
    for (let r = 0; r < part.rows; r++, row++) out.set(part.data.subarray(r * part.cols, (r + 1) * part.cols), row * cols);
  }
  return matrix(rows, cols, out);
};

export const groupsToBatch = (groups: readonly RolloutGroup[]): E.Either<StageError, Batch> => {
  if (groups.length === 0) return E.left(new StageError('rollout.toBatch', 'groups', null, 'empty', 'is empty'));
  const rows = groups.reduce((n, g) => n + g.lengths.length, 0);
  const cols = Math.max(...groups.map((g) => g.mask.cols));
  const concat = <A extends Float64Array | Int32Array | Uint8Array>(make: (n: number) => A, pick: (g: RolloutGroup) => ArrayLike<number>): A => {
    const out = make(rows);
    let at = 0;
    for (const g of groups) {
      out.set(pick(g), at);
      at += g.lengths.length;
    }
    return out;
  };
  return E.right({
    groupIds: Int32Array.from(groups.flatMap((g, i) => Array.from(g.lengths, () => i))),
    promptKeys: groups.flatMap((g) => Array.from(g.lengths, () => g.promptKey)),
    rewards: concat((n) => new Float64Array(n), (g) => g.rewards),
    correct: concat((n) => new Uint8Array(n), (g) => g.correct),
    lengths: concat((n) => new Int32Array(n), (g) => g.lengths),
    mask: stack(
      groups.map((g) => g.mask),
      rows,
      cols,
    ),
    oldLogp: stack(
      groups.map((g) => g.oldLogp),
      rows,
      cols,
    ),
  });
};
