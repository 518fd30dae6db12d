/**
 * How a batch of (image, prompt, response) sequences is laid out for the model, computed on
 * plain arrays before any tensor exists. Every row is
 *
 *   [ I image tokens | prompt, left-padded to width P | response, right-padded to width T ]
 *
 * so the image always occupies columns 0..I−1, every prompt ends at column I+P−1 and the
 * response starts at column I+P in every row. Positions count only real tokens (image tokens
 * 0..I−1, then the row's prompt and response tokens consecutively), so a sequence gets the same
 * positions, and the same log-probs, whatever batch it is padded into. Padding columns are
 * masked out as attention keys. Tensors built from a layout are time-major: element (s, b) of
 * a [S, B] quantity sits at index s·B + b.
 */
import { geometry, IMAGE_CHANNELS, type PolicyConfig } from './config.js';
import type { PromptInput } from '@rlflow/engine';
import { PAD_ID } from './tokenizer.js';

/** A prompt, or a prompt with its response (the contract's `PromptInput` / `SequenceInput`), as the layout takes it. */
export interface LayoutInput extends PromptInput {
  readonly responseTokens?: readonly number[];
}

export interface Layout {
  readonly batch: number;
  readonly imageTokens: number;
  /** Padded prompt width P. */
  readonly promptWidth: number;
  /** Padded response width T. */
  readonly responseWidth: number;
  /** I + P + T. */
  readonly seq: number;
  readonly promptLengths: readonly number[];
  readonly responseLengths: readonly number[];
  /** Token ids of the text columns, [(P+T), B] time-major; padding is PAD_ID. */
  readonly textIds: Int32Array;
  /** Position of every column, [S, B] time-major (0 in padding columns). */
  readonly positions: Int32Array;
  /** 1 where column s of row b holds a real token, [B, S] row-major. */
  readonly keyValid: Uint8Array;
}

export const buildLayout = (config: PolicyConfig, inputs: readonly LayoutInput[], responseWidth?: number): Layout => {
  const { imageTokens } = geometry(config);
  const batch = inputs.length;
  const promptLengths = inputs.map((x) => x.promptTokens.length);
  const responseLengths = inputs.map((x) => x.responseTokens?.length ?? 0);
  const promptWidth = Math.max(0, ...promptLengths);
  const width = responseWidth ?? Math.max(0, ...responseLengths);
  const seq = imageTokens + promptWidth + width;
  const textIds = new Int32Array((promptWidth + width) * batch).fill(PAD_ID);
  const positions = new Int32Array(seq * batch);
  const keyValid = new Uint8Array(batch * seq);
  for (let b = 0; b < batch; b++) {
    const input = inputs[b]!;
    const pad = promptWidth - promptLengths[b]!;
    for (let s = 0; s < imageTokens; s++) {
      positions[s * batch + b] = s;
      keyValid[b * seq + s] = 1;
    }
    for (let j = 0; j < promptLengths[b]!; j++) {
      const col = pad + j;
      textIds[col * batch + b] = input.promptTokens[j]!;
      positions[(imageTokens + col) * batch + b] = imageTokens + j;
      keyValid[b * seq + imageTokens + col] = 1;
    }
    const response = input.responseTokens ?? [];
    for (let t = 0; t < Math.min(response.length, width); t++) {
      const col = promptWidth + t;
      textIds[col * batch + b] = response[t]!;
      positions[(imageTokens + col) * batch + b] = imageTokens + promptLengths[b]! + t;
      keyValid[b * seq + imageTokens + col] = 1;
    }
  }
  return { batch, imageTokens, promptWidth, responseWidth: width, seq, promptLengths, responseLengths, textIds, positions, keyValid };
};

export const MASKED_SCORE = -1e9;

/** Additive attention bias [S, B, 1, S]: 0 where key j ≤ query i and key j is a real token, else −1e9. */
export const attentionBias = (layout: Layout): Float32Array => {
  const { seq, batch, keyValid } = layout;
  const bias = new Float32Array(seq * batch * seq);
  for (let i = 0; i < seq; i++) {
    for (let b = 0; b < batch; b++) {
      const row = (i * batch + b) * seq;
      const valid = b * seq;
      for (let j = 0; j < seq; j++) bias[row + j] = j <= i && keyValid[valid + j] === 1 ? 0 : MASKED_SCORE;
    }
  }
  return bias;
};

/** 1 for the real response tokens, [B, T] row-major. */
export const responseMask = (layout: Pick<Layout, 'batch' | 'responseWidth' | 'responseLengths'>): Float32Array => {
  const mask = new Float32Array(layout.batch * layout.responseWidth);
  layout.responseLengths.forEach((len, b) => mask.fill(1, b * layout.responseWidth, b * layout.responseWidth + Math.min(len, layout.responseWidth)));
  return mask;
};

/**
 * Image patches as model input, [I, B, patchDim] time-major; patch p = (py, px) in row-major
 * order, its values in (dy, dx, channel) order. A patch flagged in `blackened` ([B, I]) is all 0.
 */
export const patchify = (config: PolicyConfig, images: readonly Float32Array[], blackened?: Uint8Array): Float32Array => {
  const g = geometry(config);
  const batch = images.length;
  const size = config.imageSize;
  const ps = config.patchSize;
  const out = new Float32Array(g.imageTokens * batch * g.patchDim);
  for (let b = 0; b < batch; b++) {
    const image = images[b]!;
    for (let py = 0; py < g.patchesPerSide; py++) {
      for (let px = 0; px < g.patchesPerSide; px++) {
        const p = py * g.patchesPerSide + px;
        if (blackened !== undefined && blackened[b * g.imageTokens + p] === 1) continue;
        let o = (p * batch + b) * g.patchDim;
        for (let dy = 0; dy < ps; dy++) {
          const rowStart = ((py * ps + dy) * size + px * ps) * IMAGE_CHANNELS;
          for (let k = 0; k < ps * IMAGE_CHANNELS; k++) out[o++] = image[rowStart + k]!;
        }
      }
    }
  }
  return out;
};
