/**
 * A run configured for a real vision-language model (the fixture Qwen-style tokenizer, a JSONL
 * dataset with a PNG image, Qwen2.5-VL's image-token rule) against a recording fake Tinker server:
 * the request bodies carry the chat template's tokens around an image chunk in the template's
 * place (base64 PNG, format, expected_tokens), the sampled tokens are decoded with the model's
 * tokenizer and scored by the verifiers, and the held-out dataset is answered through the sampler.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, loadDataset, loadHfCodec, type TextCodec } from '@rlflow/rollout';
import { visionTokens, VISION_TOKEN_RULES } from '@rlflow/tinker/vision-tokens';
import { resolveConfig } from '../config/index.js';
import { readMetricsJsonl } from '../metrics/index.js';
import { runTraining } from '../pipeline/run.js';

const ROOT = join(import.meta.dirname, '../../../..');
const TOKENIZER = join(ROOT, 'fixtures/tokenizers/qwen-vl-tiny');
const RED_PNG = join(ROOT, 'libs/rollout/fixtures/dataset/images/red.png');
const IMAGE_SIZE = 56;

interface Recorded {
  readonly route: string;
  readonly body: Record<string, unknown>;
}
interface Chunk {
  readonly type: string;
  readonly tokens?: number[];
  readonly data?: string;
  readonly format?: string;
  readonly expected_tokens?: number;
}
interface WireDatum {
  readonly model_input: { readonly chunks: Chunk[] };
  readonly loss_fn_inputs: Record<string, { data: number[] }>;
}

/** The text's token ids under the codec, as a response (no template around them). */
const responseIds = (codec: TextCodec, text: string): number[] => {
  const ids = codec.encodePrompt({ question: text });
  if (E.isLeft(ids)) throw ids.left;
  const at = ids.right.indexOf(codec.imageTokenId!);
  return ids.right.slice(at + 2, ids.right.indexOf(codec.eosTokenId, at));
};

/** A Tinker server that answers every route the engine calls and records every request body. */
const recordingServer = (codec: TextCodec): { server: Server; recorded: Recorded[] } => {
  const recorded: Recorded[] = [];
  const futures = new Map<string, unknown>();
  let next = 0;
  const LOGP = -0.5;
  const answers = ['<think>count</think><answer>3</answer>', '<think>look</think><answer>A</answer>'];
  const outputs = (data: WireDatum[]) => ({
    loss_fn_output_type: 'cross_entropy',
    loss_fn_outputs: data.map((d) => ({ logprobs: { data: d.loss_fn_inputs['target_tokens']!.data.map(() => LOGP), dtype: 'float32', shape: [d.loss_fn_inputs['target_tokens']!.data.length] } })),
    metrics: { 'loss:sum': -data.reduce((sum, d) => sum + (d.loss_fn_inputs['weights']?.data ?? []).reduce((a, w) => a + w * LOGP, 0), 0) },
  });
  const future = (result: unknown) => {
    const id = `r${next++}`;
    futures.set(id, result);
    return { request_id: id };
  };
  const answer = (route: string, body: Record<string, unknown>): unknown => {
    switch (route) {
      case 'client/config':
      case 'session_heartbeat':
        return {};
      case 'create_session':
        return { session_id: 'session-1' };
      case 'create_model':
        return future({ model_id: `model-${next}` });
      case 'get_info':
        return { model_id: body['model_id'], model_data: { model_name: 'Qwen/Qwen2.5-VL-3B-Instruct' }, is_lora: true, lora_rank: 8 };
      case 'save_weights_for_sampler':
        return future({ path: `tinker://sampler/${next}` });
      case 'create_sampling_session':
        return { sampling_session_id: `sampling-${next++}` };
      case 'asample': {
        const n = body['num_samples'] as number;
        return future({ sequences: Array.from({ length: n }, (_, j) => ({ stop_reason: 'stop', tokens: [...responseIds(codec, answers[j % 2]!), codec.eosTokenId], logprobs: [...responseIds(codec, answers[j % 2]!), codec.eosTokenId].map(() => LOGP) })) });
      }
      case 'forward':
        return future(outputs((body['forward_input'] as { data: WireDatum[] }).data));
      case 'forward_backward':
        return future(outputs((body['forward_backward_input'] as { data: WireDatum[] }).data));
      case 'optim_step':
        return future({ metrics: {} });
      case 'save_weights':
        return future({ path: `tinker://weights/${next}` });
      case 'retrieve_future':
        return futures.get(body['request_id'] as string);
      default:
        return undefined;
    }
  };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const route = (request.url ?? '').replace(/^\/api\/v1\//, '');
      const body = chunks.length === 0 ? {} : (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
      recorded.push({ route, body });
      const reply = answer(route, body);
      response.writeHead(reply === undefined ? 404 : 200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(reply ?? { error: `no route ${route}` }));
    });
  });
  return { server, recorded };
};

let dir: string;
let codec: TextCodec;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rlflow-real-'));
  await copyFile(RED_PNG, join(dir, 'red.png'));
  const lines = [
    { id: 'a', question: 'how many red shapes?', answer: '3', image: 'red.png' },
    { id: 'b', question: 'which colour?', choices: ['red', 'green'], answer: 'red', image: 'red.png' },
  ];
  await writeFile(join(dir, 'train.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n'));
  await writeFile(join(dir, 'held-out.jsonl'), JSON.stringify({ id: 'h', question: 'how many shapes?', answer: '3', image: 'red.png' }));
  const loaded = await loadHfCodec(TOKENIZER);
  if (E.isLeft(loaded)) throw loaded.left;
  codec = loaded.right;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a real-model config through --engine tinker', () => {
  it('sends the chat template around the image chunk, decodes with the model tokenizer, trains and evaluates on the datasets', async () => {
    const { server, recorded } = recordingServer(codec);
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const port = (server.address() as AddressInfo).port;
    try {
      const resolved = resolveConfig({
        preset: 'grpo',
        sets: [
          'steps=1',
          'engine=tinker',
          `remote.url=http://127.0.0.1:${port}`,
          'remote.baseModel=Qwen/Qwen2.5-VL-3B-Instruct',
          'remote.loraRank=8',
          `remote.tokenizer=${TOKENIZER}`,
          'remote.imageTokens=qwen2.5-vl',
          `remote.imageSize=${IMAGE_SIZE}`,
          'remote.maxPromptTokens=256',
          'remote.maxResponseTokens=64',
          'remote.retryBaseDelayMs=10',
          `rollout.dataset=${join(dir, 'train.jsonl')}`,
          `eval.dataset=${join(dir, 'held-out.jsonl')}`,
          'rollout.promptsPerStep=2',
          'rollout.groupSize=2',
          'rollout.maxNewTokens=48',
          'rollout.maxAttempts=1',
          'rollout.temperature=1',
          'eval.every=1',
          'checkpoint.every=1',
          'reward.overlong.maxLen=48',
          'reward.overlong.bufferLen=4',
        ],
      });
      if (E.isLeft(resolved)) throw new Error(resolved.left.problems.join('; '));
      const runDir = join(dir, 'run');
      const result = await runTraining({ config: resolved.right, dir: runDir, resume: false, log: () => undefined, progressStream: { write: () => true, isTTY: false }, handleSignals: false });
      expect(result.reason).toBe('completed');

      const expectedTokens = visionTokens(VISION_TOKEN_RULES['qwen2.5-vl'], IMAGE_SIZE, IMAGE_SIZE);
      expect(expectedTokens).toEqual(E.right(4));
      const train = await loadDataset(join(dir, 'train.jsonl'), { imageWidth: IMAGE_SIZE, imageHeight: IMAGE_SIZE });
      if (E.isLeft(train)) throw train.left;
      const promptOf = (question: string, choices?: string[]): number[] => {
        const ids = codec.encodePrompt({ question, ...(choices === undefined ? {} : { choices }) });
        if (E.isLeft(ids)) throw ids.left;
        return ids.right;
      };
      const split = (ids: number[]) => {
        const at = ids.indexOf(codec.imageTokenId!);
        return { before: ids.slice(0, at), after: ids.slice(at + 1) };
      };
      const checkImage = (chunk: Chunk) => {
        expect(chunk).toMatchObject({ type: 'image', format: 'png', expected_tokens: 4 });
        const image = decodeImage(new Uint8Array(Buffer.from(chunk.data!, 'base64')));
        if (E.isLeft(image)) throw image.left;
        expect([image.right.width, image.right.height]).toEqual([IMAGE_SIZE, IMAGE_SIZE]);
        expect(Array.from(image.right.data.slice(0, 3))).toEqual([1, 0, 0]);
      };

      // Sampling: [template before the image, image, template after], stop at <|im_end|>.
      const samples = recorded.filter((r) => r.route === 'asample');
      expect(samples.length).toBe(3); // two training prompts, one held-out item
      const wanted = [promptOf('how many red shapes?'), promptOf('which colour?', ['red', 'green']), promptOf('how many shapes?')].map(split);
      const seen = samples.map((s) => (s.body['prompt'] as { chunks: Chunk[] }).chunks);
      for (const chunks of seen) {
        expect(chunks.map((c) => c.type)).toEqual(['encoded_text', 'image', 'encoded_text']);
        checkImage(chunks[1]!);
        expect((samples[0]!.body['sampling_params'] as { stop: number[] }).stop).toEqual([codec.eosTokenId]);
      }
      expect(seen.map((c) => ({ before: c[0]!.tokens, after: c[2]!.tokens })).sort((x, y) => x.after!.length - y.after!.length)).toEqual(
        [...wanted].sort((x, y) => x.after.length - y.after.length),
      );
      // The template's own text around the image, decoded back.
      expect(codec.decodeResponse(wanted[0]!.after)).toEqual(E.right('how many red shapes?'));

      // Training: the response follows as a fourth chunk; targets and weights over I + |p| − 1 + |r| − 1 positions.
      const fb = recorded.filter((r) => r.route === 'forward_backward');
      expect(fb.length).toBeGreaterThan(0);
      const data = fb.flatMap((r) => (r.body['forward_backward_input'] as { data: WireDatum[] }).data);
      expect(data).toHaveLength(4);
      for (const d of data) {
        const chunks = d.model_input.chunks;
        expect(chunks.map((c) => c.type)).toEqual(['encoded_text', 'image', 'encoded_text', 'encoded_text']);
        checkImage(chunks[1]!);
        const promptLength = chunks[0]!.tokens!.length + 1 + chunks[2]!.tokens!.length;
        const response = [...chunks[3]!.tokens!];
        const length = 4 + promptLength - 1 + response.length;
        expect(d.loss_fn_inputs['target_tokens']!.data).toHaveLength(length);
        const offset = 4 + promptLength - 2;
        const targets = d.loss_fn_inputs['target_tokens']!.data.slice(offset);
        expect(targets.at(-1)).toBe(codec.eosTokenId);
        expect(targets.slice(0, -1)).toEqual(response);
        const text = codec.decodeResponse(targets);
        expect(['<think>count</think><answer>3</answer>', '<think>look</think><answer>A</answer>']).toContain(E.isRight(text) ? text.right : text.left.message);
      }

      // Rewards from the verifiers on the decoded text: each group holds one right and one wrong answer.
      const rows = await readMetricsJsonl(join(runDir, 'metrics.jsonl'));
      if (E.isLeft(rows)) throw rows.left;
      expect(rows.right.items[0]!['reward/accuracy']).toBe(0.5);
      expect(rows.right.items[0]!['eval/accuracy']).toBe(1);
      expect(recorded.filter((r) => r.route === 'save_weights').length).toBeGreaterThan(0);
      const config = JSON.parse(await readFile(join(runDir, 'config.json'), 'utf8')) as { remote: { tokenizer: string }; rollout: { dataset: string } };
      expect([config.remote.tokenizer, config.rollout.dataset]).toEqual([TOKENIZER, join(dir, 'train.jsonl')]);
    } finally {
      await new Promise<void>((done) => server.close(() => done()));
    }
  }, 60_000);

  it('refuses remote.tokenizer for the built-in model, naming the field', async () => {
    const resolved = resolveConfig({ preset: 'grpo', sets: ['steps=1', `remote.tokenizer=${TOKENIZER}`, 'backend=cpu'] });
    if (E.isLeft(resolved)) throw new Error(resolved.left.problems.join('; '));
    await expect(runTraining({ config: resolved.right, dir: join(dir, 'refused'), resume: false, log: () => undefined, progressStream: { write: () => true, isTTY: false }, handleSignals: false })).rejects.toThrow(
      /remote\.tokenizer: .*built-in model/,
    );
  });
});
