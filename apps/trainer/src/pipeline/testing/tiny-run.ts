/** Test support: a tiny policy checkpoint to start from and the config of a short, small run. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { createPolicy, initBackend, tinyPolicyConfig, writePolicyCheckpoint, type PolicyConfig } from '@rlflow/policy';
import { resolveConfig, type TrainConfig } from '../../config/index.js';

/** The tiny test model with the suite's prompt and response budgets. */
export const testPolicyConfig: PolicyConfig = { ...tinyPolicyConfig, maxPromptTokens: 48, maxResponseTokens: 32 };

export const tinyInitCheckpoint = async (seed = 1): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), 'rlflow-init-'));
  await initBackend('cpu');
  const policy = createPolicy(testPolicyConfig, seed);
  await writePolicyCheckpoint(dir, policy);
  policy.dispose();
  return dir;
};

/** The `--set` overrides of a short run from the checkpoint `init`, small enough for a test. */
export const tinyRunSets = (init: string): string[] => [
  'steps=2',
  `init=${init}`,
  'backend=cpu',
  'rollout.promptsPerStep=2',
  'rollout.groupSize=4',
  'rollout.maxNewTokens=8',
  'rollout.maxAttempts=2',
  'eval.every=1',
  'eval.problemsPerCell=1',
  'eval.families=[counting, chart]',
  'eval.levels=[1]',
  'checkpoint.every=1',
  'checkpoint.keep=2',
  'reward.overlong.maxLen=8',
  'reward.overlong.bufferLen=2',
  'optimizer.lr=0.001',
];

/** A short run of `preset` from the checkpoint `init`, small enough for a test. */
export const tinyRunConfig = (preset: string, init: string, extra: readonly string[] = []): TrainConfig => {
  const resolved = resolveConfig({ preset, sets: [...tinyRunSets(init), ...extra] });
  if (E.isLeft(resolved)) throw new Error(resolved.left.problems.join('; '));
  return resolved.right;
};
