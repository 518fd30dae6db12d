/**
 * Response packing on top of shared prefixes (shared-prefix.ts; issue 10, "no work on padding"):
 * the responses of one group are laid end to end in suffix rows of T columns instead of one
 * response per row padded to T, so the row-wise work (projections, MLP, head, log-softmax) and
 * the attention run over R·T suffix slots with R ≤ B, not over B·T.
 *
 *   bins       per group, first-fit decreasing: its responses by length (longest first, ties by
 *              row), each into the first of the group's rows with room, else a new row; R rows
 *   slot       token t of response b sits in row r(b), column c(b) + t  (c(b) its start column)
 *   keys       a query in slot (r, c) of response b sees its group's prefix keys that hold a token
 *              and the columns c(b) … c of row r: exactly the keys of (b, c − c(b)) unpacked
 *   input      token t of b is predicted from the group's last prefix column for t = 0 and from
 *              slot (r, c − 1) for t > 0, as in the unpacked layout
 *   positions  I + |prompt_b| + t, as in the plain layout (layout.ts)
 *
 * Packing only moves slots, so every log-prob and gradient equals the unpacked layout's up to
 * float rounding. Empty responses take no slot; a batch of them keeps one empty row, and rows
 * added by rounding R up are empty (their slots see only the prefix of group 0).
 */
import { MASKED_SCORE } from './layout.js';
import type { PackedLayout } from './shared-prefix.js';
import { PAD_ID } from './tokenizer.js';

export interface SegmentPacking {
  /** R, the suffix rows. */
  readonly rows: number;
  /** T, the columns of a suffix row (the request's response width). */
  readonly width: number;
  /** The group of each suffix row, [R]. */
  readonly rowGroup: Int32Array;
  /** Each response's row and start column, [B]. */
  readonly rowOf: Int32Array;
  readonly startOf: Int32Array;
  /** Response lengths (≤ T), [B]. */
  readonly lengths: readonly number[];
  /** Token ids of the slots, [T, R] time-major; empty slots are PAD_ID. */
  readonly slotIds: Int32Array;
  /** Positions of the slots, [T, R] time-major (0 in empty slots). */
  readonly slotPositions: Int32Array;
  /** 1 where a response starts at a column c > 0, [R, T] row-major: that slot reads the prefix, not slot c − 1. */
  readonly midRowStarts: Float32Array;
  /** True when some response starts at a column c > 0 (else every row holds one response, as unpacked). */
  readonly packsRows: boolean;
}

export interface PackOptions {
  /** The rows laid out for R packed ones (at least R; empty rows of group 0 fill the rest): an engine rounds R up so that few graph shapes occur. Default: R. */
  readonly roundRows?: (rows: number) => number;
  /** Share rows between a group's responses (default true); false: one row per non-empty response, in the same order rules. */
  readonly shareRows?: boolean;
}

/** The packing of a packed layout's responses (rules above). */
export const packSegments = (layout: PackedLayout, options: PackOptions = {}): SegmentPacking => {
  const shareRows = options.shareRows ?? true;
  const { batch, responseWidth: width, responseLengths, groups } = layout;
  const order = Array.from({ length: batch }, (_, b) => b).sort((a, b) => responseLengths[b]! - responseLengths[a]! || a - b);
  const rowGroup: number[] = [];
  const used: number[] = [];
  const rowsOfGroup = new Map<number, number[]>();
  const rowOf = new Int32Array(batch);
  const startOf = new Int32Array(batch);
  for (const b of order) {
    const length = responseLengths[b]!;
    if (length === 0) continue;
    const group = groups.groupOf[b]!;
    const candidates = rowsOfGroup.get(group) ?? [];
    let row = shareRows ? candidates.find((r) => used[r]! + length <= width) : undefined;
    if (row === undefined) {
      row = rowGroup.length;
      rowGroup.push(group);
      used.push(0);
      candidates.push(row);
      rowsOfGroup.set(group, candidates);
    }
    rowOf[b] = row;
    startOf[b] = used[row]!;
    used[row] = used[row]! + length;
  }
  const laidOut = Math.max(1, rowGroup.length, options.roundRows?.(rowGroup.length) ?? 0);
  while (rowGroup.length < laidOut) rowGroup.push(0);
  const rows = rowGroup.length;
  const slotIds = new Int32Array(width * rows).fill(PAD_ID);
  const slotPositions = new Int32Array(width * rows);
  const midRowStarts = new Float32Array(rows * width);
  let packsRows = false;
  for (let b = 0; b < batch; b++) {
    const length = responseLengths[b]!;
    if (length === 0) continue;
    const r = rowOf[b]!;
    const start = startOf[b]!;
    for (let t = 0; t < length; t++) {
      slotIds[(start + t) * rows + r] = layout.suffixIds[t * batch + b]!;
      slotPositions[(start + t) * rows + r] = layout.suffixPositions[t * batch + b]!;
    }
    if (start > 0) {
      midRowStarts[r * width + start] = 1;
      packsRows = true;
    }
  }
  return { rows, width, rowGroup: Int32Array.from(rowGroup), rowOf, startOf, lengths: responseLengths, slotIds, slotPositions, midRowStarts, packsRows };
};

/**
 * Additive attention bias of the suffix slots, [T, R, 1, S_p + T]: 0 for the prefix keys of the
 * row's group that hold a token and for the columns from the slot's response start to the slot,
 * else −1e9. An empty slot sees only its row's prefix keys.
 */
export const segmentAttentionBias = (layout: PackedLayout, packing: SegmentPacking): Float32Array => {
  const { prefix } = layout;
  const { rows, width } = packing;
  const sp = prefix.seq;
  const keys = sp + width;
  const bias = new Float32Array(width * rows * keys).fill(MASKED_SCORE);
  const startAt = new Int32Array(rows * width).fill(-1);
  for (let b = 0; b < layout.batch; b++) {
    const r = packing.rowOf[b]!;
    for (let t = 0; t < packing.lengths[b]!; t++) startAt[r * width + packing.startOf[b]! + t] = packing.startOf[b]!;
  }
  for (let c = 0; c < width; c++) {
    for (let r = 0; r < rows; r++) {
      const row = (c * rows + r) * keys;
      const valid = packing.rowGroup[r]! * sp;
      for (let j = 0; j < sp; j++) if (prefix.keyValid[valid + j] === 1) bias[row + j] = 0;
      const start = startAt[r * width + c]!;
      if (start >= 0) for (let j = start; j <= c; j++) bias[row + sp + j] = 0;
    }
  }
  return bias;
};

/** Values [B, T] row-major (each response's own columns) moved to their slots, [R, T] row-major; other slots 0. */
export const toSlots = (packing: SegmentPacking, values: Float32Array): Float32Array => {
  const { width } = packing;
  const out = new Float32Array(packing.rows * width);
  packing.lengths.forEach((length, b) => {
    const at = packing.rowOf[b]! * width + packing.startOf[b]!;
    out.set(values.subarray(b * width, b * width + length), at);
  });
  return out;
};

/** Slot values [R, T] back to each response's columns, [B, T] row-major; columns past a response's length 0. */
export const fromSlots = (packing: SegmentPacking, slots: ArrayLike<number>): Float32Array => {
  const { width } = packing;
  const out = new Float32Array(packing.lengths.length * width);
  packing.lengths.forEach((length, b) => {
    const at = packing.rowOf[b]! * width + packing.startOf[b]!;
    for (let t = 0; t < length; t++) out[b * width + t] = slots[at + t]!;
  });
  return out;
};
