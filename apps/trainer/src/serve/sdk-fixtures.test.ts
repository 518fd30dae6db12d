/**
 * rlflow serve against the request bodies the public Tinker SDK (0.24.0) writes, read from its
 * types (fixtures/tinker/, provenance in fixtures/PROVENANCE.md): every reply decodes as that SDK
 * parses it, futures resolve through retrieve_future, seq_id orders execution, a repeated
 * (model_id, seq_id) is the same request, and a bad body is a 400 naming the field.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { encodePng } from '@rlflow/rollout';
import { wire as W } from '@rlflow/tinker';
import { tinyInitCheckpoint } from '../pipeline/testing/tiny-run.js';
import type { TinkerServer } from './server.js';
import { startServer } from './testing/remote-run.js';

interface Exchange {
  readonly name: string;
  readonly method: 'GET' | 'POST';
  readonly route: string;
  readonly request?: unknown;
  readonly reply?: string;
  readonly future?: true | 'later';
  readonly save?: Record<string, string>;
  readonly expect?: Record<string, unknown>;
  readonly duplicate?: true;
  readonly status?: number;
  readonly detail?: string;
}

/** What the SDK parses each reply as (its pydantic models; extra keys ignored unless StrictBase). */
const REPLIES: Record<string, t.Decoder<unknown, unknown>> = {
  ClientConfigResponse: W.ClientConfigResponse,
  GetServerCapabilitiesResponse: W.GetServerCapabilitiesResponse,
  HealthResponse: W.HealthResponse,
  CreateSessionResponse: W.CreateSessionResponse,
  SessionHeartbeatResponse: W.SessionHeartbeatResponse,
  CreateModelResponse: W.CreateModelResponse,
  GetInfoResponse: W.GetInfoResponse,
  ForwardBackwardOutput: W.ForwardBackwardOutput,
  OptimStepResponse: W.OptimStepResponse,
  SaveWeightsForSamplerResponse: W.SaveWeightsForSamplerResponse,
  CreateSamplingSessionResponse: W.CreateSamplingSessionResponse,
  SampleResponse: W.SampleResponse,
  SaveWeightsResponse: W.SaveWeightsResponse,
  LoadWeightsResponse: W.LoadWeightsResponse,
};

/** TensorData is a StrictBase in the SDK (extra="forbid"): these keys and no others. */
const TENSOR_KEYS = new Set(['data', 'dtype', 'shape', 'sparse_crow_indices', 'sparse_col_indices']);

const at = (value: unknown, path: string): unknown => path.split('.').reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[key], value);

const fill = (value: unknown, vars: ReadonlyMap<string, unknown>): unknown => {
  if (typeof value === 'string' && value.startsWith('$')) {
    if (!vars.has(value.slice(1))) throw new Error(`fixture variable ${value} is not set`);
    return vars.get(value.slice(1));
  }
  if (Array.isArray(value)) return value.map((v) => fill(v, vars));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, vars)]));
  return value;
};

/** A 32×32 RGB image with 8-bit values (a normal PNG, as the SDK sends one). */
const png32 = (): string => {
  const data = new Float32Array(32 * 32 * 3);
  for (let i = 0; i < data.length; i++) data[i] = ((i * 37) % 256) / 255;
  return Buffer.from(encodePng({ width: 32, height: 32, data })).toString('base64');
};

let init: string;
let stateDir: string;
let server: TinkerServer;
let base: string;

beforeAll(async () => {
  init = await tinyInitCheckpoint();
  stateDir = await mkdtemp(join(tmpdir(), 'rlflow-sdk-'));
  const started = await startServer(init, stateDir);
  server = started.server;
  base = `http://127.0.0.1:${started.port}/api/v1/`;
});
afterAll(async () => {
  await server.close();
  await Promise.all([init, stateDir].map((d) => rm(d, { recursive: true, force: true })));
});

const send = async (method: string, route: string, body: unknown): Promise<{ status: number; json: unknown; text: string }> => {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: { 'content-type': 'application/json', accept: 'application/x-protobuf, application/json', 'x-api-key': 'tml-test-key' },
    ...(method === 'POST' ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, json: JSON.parse(text) as unknown, text };
};

const expectSdkParses = (name: string, codec: string, body: unknown): void => {
  const decoded = REPLIES[codec]!.decode(body);
  expect(E.isRight(decoded) ? [] : decoded.left.map((e) => e.context.map((c) => c.key).join('.')), `${name}: ${JSON.stringify(body).slice(0, 300)}`).toEqual([]);
  expect(body !== null && typeof body === 'object' && 'error' in body, `${name}: a result with "error" reads as a failure`).toBe(false);
  if (codec === 'ForwardBackwardOutput') {
    const output = body as W.ForwardBackwardOutput;
    for (const record of output.loss_fn_outputs) for (const tensor of Object.values(record)) expect(Object.keys(tensor).filter((k) => !TENSOR_KEYS.has(k))).toEqual([]);
    for (const key of Object.keys(output.metrics)) expect(key, 'metrics are name:reduction').toMatch(/^[^:]+:[a-z_]+$/);
  }
};

describe('rlflow serve with the Tinker SDK 0.24.0 request bodies', () => {
  it('answers every exchange as the SDK expects', async () => {
    const fixture = JSON.parse(await readFile(join(import.meta.dirname, '../../../../fixtures/tinker/sdk-0.24.0-session.json'), 'utf8')) as { exchanges: Exchange[] };
    const vars = new Map<string, unknown>([['png32', png32()]]);
    let previous: { request: unknown; requestId: string | undefined } = { request: undefined, requestId: undefined };
    for (const exchange of fixture.exchanges) {
      const request = exchange.request === '$previous_request' ? previous.request : fill(exchange.request, vars);
      const { status, json, text } = await send(exchange.method, exchange.route, request);
      expect(text, exchange.name).not.toMatch(/NaN|Infinity/);
      if (exchange.status !== undefined) {
        expect(status, exchange.name).toBe(exchange.status);
        expect(JSON.stringify(json), exchange.name).toContain(exchange.detail!);
        continue;
      }
      expect(status, `${exchange.name}: ${text}`).toBe(200);
      let result = json;
      let requestId: string | undefined;
      if (exchange.future !== undefined || exchange.duplicate === true) {
        const future = W.UntypedAPIFuture.decode(json);
        expect(E.isRight(future), exchange.name).toBe(true);
        requestId = (json as W.UntypedAPIFuture).request_id;
        if (exchange.duplicate === true) expect(requestId, exchange.name).toBe(previous.requestId);
        if (exchange.future === true) {
          for (;;) {
            const polled = await send('POST', 'retrieve_future', { request_id: requestId, allow_metadata_only: true });
            expect(polled.status, exchange.name).toBe(200);
            if (E.isRight(W.TryAgainResponse.decode(polled.json))) continue;
            result = polled.json;
            break;
          }
        }
      }
      if (exchange.reply !== undefined && exchange.future !== 'later') expectSdkParses(exchange.name, exchange.reply, result);
      for (const [key, value] of Object.entries(exchange.expect ?? {})) expect(at(result, key), `${exchange.name}: ${key}`).toEqual(value);
      for (const [name, path] of Object.entries(exchange.save ?? {})) vars.set(name, at(result, path));
      previous = { request, requestId };
    }
    expect(String(vars.get('sampler_path'))).toMatch(/^tinker:\/\//);
    const stats = server.snapshot();
    // optim_step (seq 2) arrived first and ran after forward_backward (seq 1); the repeated forward ran once.
    expect(stats.order.slice(0, 3)).toEqual(['create_model#0', 'forward_backward#1', 'optim_step#2']);
    expect(stats.applied['forward']).toBe(1);
    expect(stats.duplicates).toBeGreaterThanOrEqual(1);
    expect(stats.reapplied).toBe(0);
  });

  it('answers 410 for a request id it does not know and 400 naming the field of a bad body', async () => {
    const gone = await send('POST', 'retrieve_future', { request_id: 'req-unknown' });
    expect(gone.status).toBe(410);
    const bad = await send('POST', 'forward_backward', { forward_backward_input: { data: [], loss_fn: 'mse' }, model_id: 'm', seq_id: 1 });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.json)).toContain('forward_backward_input.loss_fn');
  });
});
