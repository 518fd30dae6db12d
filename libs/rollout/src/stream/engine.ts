/**
 * What the rollout needs from an engine: batched sampling of G responses per prompt
 * (libs/engine's contract, `Engine.sample`). Tests use a fake that answers from a script.
 */
import type { Engine } from '@rlflow/engine';

export type RolloutEngine = Pick<Engine, 'sample'>;
