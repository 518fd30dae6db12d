/**
 * The engine contract suite (@rlflow/engine/testing) run against the remote engine
 * (`createTinkerEngine`) over rlflow serve, on the tiny model: what the remote engine claims
 * it does (capabilities: no entropies, no masked views) it does as the contract says.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { Rng, unwrap } from '@rlflow/core';
import { builtinLossSum, FULL_VIEW, type AdamWParams, type EngineFactory } from '@rlflow/engine';
import { describeEngineContract } from '@rlflow/engine/testing';
import { createPolicy, EOS_ID, geometry, initBackend, tinyPolicyConfig, tokenizer, writePolicyCheckpoint } from '@rlflow/policy';
import { createTinkerEngine } from '@rlflow/tinker';
import type { TinkerServer } from './server.js';
import { startServer } from './testing/remote-run.js';

const config = tinyPolicyConfig;
const WIDTH = 8;
const image = (seed: number): Float32Array => {
  const rng = Rng.fromSeed(seed);
  return Float32Array.from({ length: config.imageSize * config.imageSize * 3 }, () => rng.next());
};
const prompts = ['how many?', 'A:3 B:4', '2+5=', 'bigger?'].map((text, i) => ({ image: image(i + 1), promptTokens: unwrap(tokenizer.encode(text)) }));
const responses = [[20, 21, 22], [23, 24, 25, 26, EOS_ID], [27, 28, 29, 30, 31, 32, 33, EOS_ID], [34, EOS_ID]];
const optimizer: AdamWParams = { learningRate: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1 };

let url = '';
let server: TinkerServer | undefined;
const dirs: string[] = [];

beforeAll(async () => {
  await initBackend('cpu');
  const init = await mkdtemp(join(tmpdir(), 'rlflow-contract-init-'));
  const state = await mkdtemp(join(tmpdir(), 'rlflow-contract-serve-'));
  dirs.push(init, state);
  const policy = createPolicy(config, 1);
  await writePolicyCheckpoint(init, policy);
  policy.dispose();
  const started = await startServer(init, state);
  server = started.server;
  url = `http://127.0.0.1:${started.port}`;
});
afterAll(async () => {
  await server?.close();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** The remote engine on the server's base model (a seed init is the base model; `init: weights` loads what the engine saved). */
const remote = (heartbeatMs?: number): EngineFactory => (options) =>
  createTinkerEngine({
    ...options,
    model: {
      ...(heartbeatMs === undefined ? {} : { heartbeatMs }),
      url,
      baseModel: null,
      loraRank: 0,
      imageSize: config.imageSize,
      imageTokens: geometry(config).imageTokens,
      maxPromptTokens: config.maxPromptTokens,
      maxResponseTokens: config.maxResponseTokens,
      eosTokenId: EOS_ID,
      pollTimeoutMs: 5_000,
      requestTimeoutMs: 5_000,
      retryBaseDelayMs: 20,
      deadlineMs: 30_000,
    },
  });

describeEngineContract('tinker over rlflow serve (tiny)', remote(), {
  model: null,
  prompts,
  responses,
  responseWidth: WIDTH,
  smallTokenBudget: 70,
  sampling: { temperature: 1, topP: 1, topK: 0, maxNewTokens: WIDTH },
  optimizer,
  resourceSteps: 5,
});

describe('tinker engine: session', () => {
  it('sends a heartbeat every heartbeatMs while it lives, and none after dispose', async () => {
    const before = server!.snapshot().applied['session_heartbeat'] ?? 0;
    const created = await remote(20)({ init: { kind: 'seed', seed: 1 }, model: null, reference: false, tokenBudget: 0 });
    expect(E.isRight(created)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 150));
    if (E.isRight(created)) await created.right.dispose();
    const during = server!.snapshot().applied['session_heartbeat'] ?? 0;
    expect(during - before).toBeGreaterThanOrEqual(3);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server!.snapshot().applied['session_heartbeat'] ?? 0).toBeLessThanOrEqual(during + 1);
  });
});

describe("rlflow serve's built-in losses", () => {
  const fresh = async () => unwrap(await remote()({ init: { kind: 'seed', seed: 1 }, model: null, reference: false, tokenBudget: 0 }));
  const sequences = prompts.map((p, i) => ({ ...p, responseTokens: responses[i]! }));

  it.each([
    ['importance_sampling', null],
    ['ppo', { clipLow: 0.8, clipHigh: 1.28 }],
    ['cispo', { clipLow: 1, clipHigh: 1.5 }],
  ] as const)('%s: the loss it reports is the token sum, and its gradient is cross_entropy with weights −∂L/∂logp, bit for bit', async (loss, thresholds) => {
    const [a, b] = [await fresh(), await fresh()];
    try {
      const scored = unwrap(await a.forward({ sequences, responseWidth: WIDTH }));
      const { mask } = scored;
      // Float32 inputs (what the wire carries), ratios spread around the clip range, advantages of both signs.
      const samplingLogp = { ...scored.logp, data: scored.logp.data.map((x, i) => (mask.data[i] === 1 ? Math.fround(x + 0.3 * Math.sin(i)) : 0)) };
      const advantages = { ...mask, data: mask.data.map((m, i) => (m === 1 ? Math.fround(Math.cos(1.7 * i)) : 0)) };
      const result = unwrap(await a.forwardBackwardBuiltin!({ sequences, responseWidth: WIDTH, loss, thresholds, advantages, samplingLogp }));
      expect(result.forward.logp.data).toEqual(scored.logp.data);
      const defined = builtinLossSum({ loss, thresholds, advantages, samplingLogp }, result.forward.logp);
      expect(result.loss).toBeCloseTo(defined.loss, 9);
      unwrap(await b.forwardBackward({ sequences, responseWidth: WIDTH, terms: [{ view: FULL_VIEW, logpWeights: defined.gradLogp }] }));
      unwrap(await a.optimStep(optimizer));
      unwrap(await b.optimStep(optimizer));
      const [after, expected] = [unwrap(await a.forward({ sequences, responseWidth: WIDTH })), unwrap(await b.forward({ sequences, responseWidth: WIDTH }))];
      expect(after.logp.data).toEqual(expected.logp.data);
      expect(after.logp.data).not.toEqual(scored.logp.data);
    } finally {
      await Promise.all([a.dispose(), b.dispose()]);
    }
  });

  const post = async (body: unknown): Promise<{ status: number; detail: string }> => {
    const response = await fetch(`${url}/api/v1/forward_backward`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, detail: (JSON.parse(await response.text()) as { detail: string }).detail };
  };
  const tensor = (data: number[], dtype: 'float32' | 'int64' = 'float32') => ({ data, dtype, shape: [data.length] });
  const datum = (inputs: Record<string, unknown>) => ({ model_input: { chunks: [{ type: 'encoded_text', tokens: [1, 2, 3] }] }, loss_fn_inputs: { target_tokens: tensor([2, 3, 4], 'int64'), ...inputs } });
  const rl = { logprobs: tensor([-1, -1, -1]), advantages: tensor([0, 1, 1]) };

  it.each([
    ['a missing input', { loss_fn: 'ppo', data: [datum({ logprobs: rl.logprobs })] }, 'forward_backward_input.data.0.loss_fn_inputs.advantages'],
    ['an input of another length', { loss_fn: 'importance_sampling', data: [datum({ ...rl, logprobs: tensor([-1]) })] }, 'forward_backward_input.data.0.loss_fn_inputs.logprobs: expected 3 float32 values'],
    ['an unknown config key', { loss_fn: 'ppo', loss_fn_config: { clip_epsilon: 0.2 }, data: [datum(rl)] }, 'forward_backward_input.loss_fn_config.clip_epsilon'],
    ['a config for importance_sampling', { loss_fn: 'importance_sampling', loss_fn_config: { clip_low_threshold: 0.8 }, data: [datum(rl)] }, 'forward_backward_input.loss_fn_config.clip_low_threshold'],
    ['cispo without its thresholds', { loss_fn: 'cispo', loss_fn_config: { clip_low_threshold: 0 }, data: [datum(rl)] }, 'forward_backward_input.loss_fn_config.clip_high_threshold'],
    ['crossed thresholds', { loss_fn: 'ppo', loss_fn_config: { clip_low_threshold: 1.2, clip_high_threshold: 0.8 }, data: [datum(rl)] }, 'forward_backward_input.loss_fn_config.clip_low_threshold'],
    ['a loss it does not compute', { loss_fn: 'dro', data: [datum(rl)] }, 'forward_backward_input.loss_fn: is "dro"'],
  ])('answers %s with a 400 naming the field', async (_what, input, field) => {
    const reply = await post({ model_id: 'any', seq_id: 1, forward_backward_input: input });
    expect(reply.status).toBe(400);
    expect(reply.detail).toContain(field);
  });
});
