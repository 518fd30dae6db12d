/**
 * Shared prefixes: the G responses of a group share their image and prompt, so the prefix
 * [ I image tokens | prompt, left-padded to width P ] is computed once per group and the
 * response columns of each row attend to their group's prefix keys and values (issue 10).
 * Computed on plain arrays before any tensor exists.
 *
 * A packed batch holds U prefix sequences of S_p = I + P columns and B suffix (response)
 * sequences of T columns, in token rows
 *
 *   [ prefix rows, time-major: s·U + u  (s < S_p) | suffix rows, time-major: S_p·U + t·B + b ]
 *
 * Row b of the request belongs to group u = groupOf[b]. A suffix query (b, t) attends to the
 * keys [ prefix of group u (its padding masked) | suffix columns t' ≤ t of row b that hold a
 * token ], which is exactly the set of keys the same query sees in the plain layout (layout.ts),
 * and positions count real tokens as there: so every log-prob equals the plain path's.
 */
import { buildLayout, MASKED_SCORE, type Layout, type LayoutInput } from './layout.js';
import { PAD_ID } from './tokenizer.js';

/** Rows with the same image content, the same prompt and the same blackened patches form a group. */
export interface PrefixGroups {
  /** Group of each row, [B]. */
  readonly groupOf: Int32Array;
  /** The first row of each group, [U]. */
  readonly representatives: readonly number[];
}

const sameImage = (a: Float32Array, b: Float32Array): boolean => {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};

const sameTokens = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

const sameFlags = (flags: Uint8Array | undefined, imageTokens: number, a: number, b: number): boolean => {
  if (flags === undefined) return true;
  for (let p = 0; p < imageTokens; p++) if (flags[a * imageTokens + p] !== flags[b * imageTokens + p]) return false;
  return true;
};

/**
 * Groups rows by prefix. `flags` ([B, I], the blackened patches of a masked view) is part of the
 * prefix: rows whose images are blackened differently do not share one.
 */
export const prefixGroups = (inputs: readonly LayoutInput[], imageTokens: number, flags?: Uint8Array): PrefixGroups => {
  const groupOf = new Int32Array(inputs.length);
  const representatives: number[] = [];
  // Candidates by prompt text, so the image comparison only runs between rows with the same prompt.
  const byPrompt = new Map<string, number[]>();
  inputs.forEach((input, b) => {
    const key = input.promptTokens.join(',');
    const candidates = byPrompt.get(key) ?? [];
    const found = candidates.find((u) => {
      const rep = representatives[u]!;
      return sameTokens(inputs[rep]!.promptTokens, input.promptTokens) && sameImage(inputs[rep]!.image, input.image) && sameFlags(flags, imageTokens, rep, b);
    });
    if (found !== undefined) {
      groupOf[b] = found;
    } else {
      groupOf[b] = representatives.length;
      candidates.push(representatives.length);
      representatives.push(b);
      byPrompt.set(key, candidates);
    }
  });
  return { groupOf, representatives };
};

export interface PackedLayout {
  /** The U prefixes as a plain layout with no response columns (batch U, seq S_p). */
  readonly prefix: Layout;
  readonly groups: PrefixGroups;
  /** B. */
  readonly batch: number;
  /** T. */
  readonly responseWidth: number;
  readonly responseLengths: readonly number[];
  /** Response token ids, [T, B] time-major; padding is PAD_ID. */
  readonly suffixIds: Int32Array;
  /** Position of every response column, [T, B] time-major (0 in padding columns). */
  readonly suffixPositions: Int32Array;
  /** Token rows computed: S_p·U + T·B. */
  readonly rows: number;
}

/** The packed layout of `inputs` (each with its response) padded to `responseWidth`. */
export const buildPackedLayout = (config: Parameters<typeof buildLayout>[0], inputs: readonly LayoutInput[], groups: PrefixGroups, responseWidth: number): PackedLayout => {
  const prefix = buildLayout(
    config,
    groups.representatives.map((r) => ({ image: inputs[r]!.image, promptTokens: inputs[r]!.promptTokens })),
    0,
  );
  const batch = inputs.length;
  const width = responseWidth;
  const suffixIds = new Int32Array(width * batch).fill(PAD_ID);
  const suffixPositions = new Int32Array(width * batch);
  const responseLengths = inputs.map((x) => Math.min(x.responseTokens?.length ?? 0, width));
  inputs.forEach((input, b) => {
    const response = input.responseTokens ?? [];
    for (let t = 0; t < responseLengths[b]!; t++) {
      suffixIds[t * batch + b] = response[t]!;
      suffixPositions[t * batch + b] = prefix.imageTokens + input.promptTokens.length + t;
    }
  });
  return { prefix, groups, batch, responseWidth: width, responseLengths, suffixIds, suffixPositions, rows: prefix.seq * prefix.batch + width * batch };
};

/**
 * Additive attention bias of the suffix queries, [T, B, 1, S_p + T]: 0 for the prefix keys of
 * the row's group that hold a token and for its own response keys t' ≤ t that hold one, else −1e9.
 */
export const suffixAttentionBias = (packed: PackedLayout): Float32Array => {
  const { prefix, batch, responseWidth: width, responseLengths, groups } = packed;
  const sp = prefix.seq;
  const keys = sp + width;
  const bias = new Float32Array(width * batch * keys).fill(MASKED_SCORE);
  for (let t = 0; t < width; t++) {
    for (let b = 0; b < batch; b++) {
      const row = (t * batch + b) * keys;
      const valid = groups.groupOf[b]! * sp;
      for (let j = 0; j < sp; j++) if (prefix.keyValid[valid + j] === 1) bias[row + j] = 0;
      for (let j = 0; j <= Math.min(t, responseLengths[b]! - 1); j++) bias[row + sp + j] = 0;
    }
  }
  return bias;
};

/** True when packing saves work: fewer prefixes than rows. */
export const sharesPrefixes = (groups: PrefixGroups): boolean => groups.representatives.length < groups.groupOf.length;
