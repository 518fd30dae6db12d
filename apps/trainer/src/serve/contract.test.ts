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
import type { AdamWParams, EngineFactory } from '@rlflow/engine';
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
