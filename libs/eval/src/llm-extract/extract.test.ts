import { afterEach, describe, expect, it } from 'vitest';
import { appendFile, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { createChatClient } from '../endpoint/client.js';
import { startFakeOpenAIServer, type FakeReply, type FakeRequest, type FakeServer } from '../endpoint/testing/fake-openai-server.js';
import { ExtractionCache, extractionKey } from './cache.js';
import { llmExtractLogicVista, llmExtractMathVista, newJudgeCounters, type Judge } from './extract.js';

const servers: FakeServer[] = [];
const caches: ExtractionCache[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await Promise.all(caches.splice(0).map((c) => c.close()));
});

const openCache = async (path: string): Promise<ExtractionCache> => {
  const opened = await ExtractionCache.open(path);
  if (E.isLeft(opened)) throw opened.left;
  caches.push(opened.right);
  return opened.right;
};

const judgeWith = async (respond: (r: FakeRequest) => FakeReply, cachePath: string): Promise<{ judge: Judge; server: FakeServer }> => {
  const server = await startFakeOpenAIServer({ respond });
  servers.push(server);
  const client = createChatClient({ baseURL: server.url, timeoutMs: 500, maxRetries: 2, backoff: { baseDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 10 }, seed: 0 });
  return { judge: { client, model: 'judge-1', cache: await openCache(cachePath) }, server };
};

const mc = { pid: '5', question_type: 'multi_choice' as const, answer_type: 'text' as const, precision: null, choices: ['97', '102', '107', '122'] };
const integer = { pid: '2', question_type: 'free_form' as const, answer_type: 'integer' as const, precision: null, choices: null };

describe('extraction cache', () => {
  it('keys by (model, prompt hash, response), persists, and survives a torn last line', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'rlflow-cache-')), 'cache.jsonl');
    const cache = await openCache(path);
    await cache.put('m', 'h', 'response one', 'B');
    expect(cache.get('m', 'h', 'response one')).toBe('B');
    expect(cache.get('m2', 'h', 'response one')).toBeUndefined();
    expect(cache.get('m', 'h2', 'response one')).toBeUndefined();
    expect(cache.get('m', 'h', 'response two')).toBeUndefined();
    expect(extractionKey('m', 'h', 'r')).not.toBe(extractionKey('m', 'hr', ''));
    await cache.close();
    caches.pop();
    expect(await readFile(path, 'utf8')).not.toContain('response one');
    await appendFile(path, '{"type":"extraction","key":"abc"');
    const again = await openCache(path);
    expect(again.get('m', 'h', 'response one')).toBe('B');
    expect(again.size).toBe(1);
  });
});

describe('LLM extraction through a fake judge', () => {
  it('MathVista: official steps need no judge; the judge is asked once per (prompt, response), then the cache answers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlflow-extract-'));
    const { judge, server } = await judgeWith((r) => ({ kind: 'ok', content: r.text.includes('(B) 102') ? ' B\n' : 'NONE' }), join(dir, 'cache.jsonl'));
    const counters = newJudgeCounters();
    const extract = llmExtractMathVista(judge, counters);
    expect(await extract(integer, 'How many?', ' 12 ')).toEqual({ value: '12', source: 'official' });
    expect(await extract(mc, 'Find x', '102')).toEqual({ value: '102', source: 'official' });
    expect(server.requests).toHaveLength(0);
    expect(await extract(mc, 'Find x', 'It must be (B) 102 degrees.')).toEqual({ value: 'B', source: 'llm' });
    expect(await extract(mc, 'Find x', 'I cannot see the image.')).toEqual({ value: '', source: 'llm' });
    expect(server.requests).toHaveLength(2);
    expect(server.requests[0]!.body).toMatchObject({ model: 'judge-1', temperature: 0, max_tokens: 64 });
    expect(await extract(mc, 'Find x', 'It must be (B) 102 degrees.')).toEqual({ value: 'B', source: 'cache' });
    expect(server.requests).toHaveLength(2);
    expect(counters).toEqual({ requests: 2, cacheHits: 1, failures: 0 });

    // A fresh cache object over the same file: still no request.
    const reopened = await openCache(join(dir, 'cache.jsonl'));
    const again = llmExtractMathVista({ ...judge, cache: reopened });
    expect(await again(mc, 'Find x', 'It must be (B) 102 degrees.')).toEqual({ value: 'B', source: 'cache' });
    expect(server.requests).toHaveLength(2);
  });

  it('a failing judge gives the official fallback with the error, and nothing is cached', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlflow-extract-'));
    const { judge, server } = await judgeWith(() => ({ kind: 'status', status: 503 }), join(dir, 'cache.jsonl'));
    const counters = newJudgeCounters();
    const result = await llmExtractMathVista(judge, counters)(mc, 'Find x', 'It is (B).');
    expect(result).toMatchObject({ value: '', source: 'llm-error', error: expect.stringMatching(/^http: /) });
    expect(server.requests).toHaveLength(3);
    expect(judge.cache.size).toBe(0);
    const lv = await llmExtractLogicVista(judge, counters)('v1_0', 'Select from A, B, C', 'The second one');
    expect(lv).toMatchObject({ value: ['ZZZZZ'], source: 'llm-error' });
    expect(counters.failures).toBe(2);
  });

  it('LogicVista: empty and invalid single characters need no judge; even a bare letter goes to it, as officially', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlflow-extract-'));
    const { judge, server } = await judgeWith((r) => ({ kind: 'ok', content: r.text.includes('both B and D') ? 'B, D' : 'C' }), join(dir, 'cache.jsonl'));
    const extract = llmExtractLogicVista(judge);
    expect(await extract('v1_0', 'q', '  ')).toEqual({ value: [''], source: 'official' });
    expect(await extract('v1_0', 'q', 'G')).toEqual({ value: ['ZZZZZ'], source: 'official' });
    expect(server.requests).toHaveLength(0);
    expect(await extract('v1_1', 'Select from A-E', 'USER: hi ASSISTANT: both B and D fit')).toEqual({ value: ['B', 'D'], source: 'llm' });
    expect(server.requests[0]!.text).toContain(' both B and D fit');
    expect(server.requests[0]!.text).not.toContain('USER: hi');
    expect(await extract('v1_2', 'Select from A-E', 'C')).toEqual({ value: ['C'], source: 'llm' });
    expect(server.requests).toHaveLength(2);
  });
});
