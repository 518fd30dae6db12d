/**
 * Analytic floating-point operation counts of the model (a multiply-add is 2 FLOPs), for the
 * bench's achieved-GFLOP/s figure. Counted are the matrix products the engine executes, per
 * sequence of S = I + P + T columns:
 *
 *   patch embedding     2·I·patchDim·D
 *   encoder layer       2·I·(4D² + 2·D·M) + 4·I²·D          (projections + QK, PV)
 *   image projection    2·I·D²
 *   embeddings          2·(P+T)·V·D + 2·S·maxPos·D          (one-hot products)
 *   decoder layer       2·S·(4D² + 2·D·M) + 4·S²·D          (dense S×S scores: the masked half is computed too)
 *   head                2·T·D·V                              (response positions only)
 *
 * Training counts forward + backward as 3× forward (each product has two backward products).
 * Elementwise work (norms, softmax, residuals, the optimizer) is not counted.
 */
import { geometry, type PolicyConfig } from './config.js';

export interface SequenceShape {
  readonly promptWidth: number;
  readonly responseWidth: number;
}

export const forwardFlopsPerSequence = (config: PolicyConfig, shape: SequenceShape): number => {
  const g = geometry(config);
  const d = config.dModel;
  const m = g.mlpDim;
  const v = config.vocabSize;
  const i = g.imageTokens;
  const s = i + shape.promptWidth + shape.responseWidth;
  const layer = (n: number): number => 2 * n * (4 * d * d + 2 * d * m) + 4 * n * n * d;
  return (
    2 * i * g.patchDim * d +
    config.encoderLayers * layer(i) +
    2 * i * d * d +
    2 * (shape.promptWidth + shape.responseWidth) * v * d +
    2 * s * g.maxPositions * d +
    config.decoderLayers * layer(s) +
    2 * shape.responseWidth * d * v
  );
};

export const trainingFlopsPerSequence = (config: PolicyConfig, shape: SequenceShape): number => 3 * forwardFlopsPerSequence(config, shape);
