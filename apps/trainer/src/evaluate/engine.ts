/**
 * What local evaluation needs from an engine (libs/engine/src/contract.ts): `sample`, and the input
 * budgets of `info`, to set aside dataset items the model cannot read. Every `Engine` is one.
 */
import type { Engine, EngineInfo } from '@rlflow/engine';

export interface SamplingEngine {
  readonly info: Pick<EngineInfo, 'imageSize' | 'maxPromptTokens' | 'maxResponseTokens'>;
  readonly sample: Engine['sample'];
}
