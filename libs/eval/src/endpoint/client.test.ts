import { afterEach, describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { createChatClient, type ChatClientConfig, type RetryEvent } from './client.js';
import { Secret } from './secret.js';
import { startFakeOpenAIServer, type FakeReply, type FakeRequest, type FakeServer } from './testing/fake-openai-server.js';

const servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const start = async (respond: (r: FakeRequest) => FakeReply): Promise<FakeServer> => {
  const server = await startFakeOpenAIServer({ respond });
  servers.push(server);
  return server;
};

const config = (url: string, extra: Partial<ChatClientConfig> = {}): ChatClientConfig => ({
  baseURL: url,
  timeoutMs: 300,
  maxRetries: 3,
  backoff: { baseDelayMs: 2, maxDelayMs: 10, maxRetryAfterMs: 200 },
  seed: 1,
  ...extra,
});

const ask = { model: 'm', messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'q' }] }], temperature: 0 };

/** Fails the first `n` attempts with `fault`, then answers "fine". */
const failThen = (n: number, fault: FakeReply) => (r: FakeRequest): FakeReply => (r.priorSameText < n ? fault : { kind: 'ok', content: 'fine' });

describe('chat client against the fake server', () => {
  it('returns the first choice and sends model, temperature and the bearer key', async () => {
    const server = await start(() => ({ kind: 'ok', content: 'hello' }));
    const client = createChatClient(config(server.url, { apiKey: new Secret('sk-test-123') }));
    const result = await client.complete({ ...ask, maxTokens: 16, seed: 5 }, { key: 'a' });
    expect(result).toMatchObject(E.right({ content: 'hello', finishReason: 'stop', attempts: 1 }));
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.authorization).toBe('Bearer sk-test-123');
    expect(server.requests[0]!.body).toMatchObject({ model: 'm', temperature: 0, max_tokens: 16, seed: 5 });
  });

  const retried: Array<[string, FakeReply]> = [
    ['500', { kind: 'status', status: 500 }],
    ['503', { kind: 'status', status: 503 }],
    ['429', { kind: 'status', status: 429 }],
    ['a hang past the timeout', { kind: 'hang' }],
    ['a dropped connection', { kind: 'drop' }],
    ['a connection dropped mid-body', { kind: 'drop-mid-body' }],
    ['a body that stalls past the timeout', { kind: 'stall-mid-body' }],
  ];
  for (const [name, fault] of retried) {
    it(`retries ${name} and succeeds`, async () => {
      const server = await start(failThen(2, fault));
      const events: RetryEvent[] = [];
      const client = createChatClient(config(server.url, { onRetry: (e) => events.push(e) }));
      const result = await client.complete(ask, { key: 'k' });
      expect(result).toMatchObject(E.right({ content: 'fine', attempts: 3 }));
      expect(server.requests).toHaveLength(3);
      expect(events.map((e) => e.retry)).toEqual([0, 1]);
    });
  }

  it('gives up after maxRetries with the last failure, bounded in requests', async () => {
    const server = await start(() => ({ kind: 'status', status: 502 }));
    const client = createChatClient(config(server.url, { maxRetries: 2 }));
    const result = await client.complete(ask, { key: 'k' });
    expect(E.isLeft(result) && result.left).toMatchObject({ kind: 'http', status: 502, attempts: 3 });
    expect(server.requests).toHaveLength(3);
  });

  it('classifies a hang as a timeout after the per-request limit', async () => {
    const server = await start(() => ({ kind: 'hang' }));
    const client = createChatClient(config(server.url, { maxRetries: 1, timeoutMs: 100 }));
    const started = Date.now();
    const result = await client.complete(ask, { key: 'k' });
    expect(E.isLeft(result) && result.left).toMatchObject({ kind: 'timeout', attempts: 2 });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('waits at least the Retry-After of a 429', async () => {
    const server = await start(failThen(1, { kind: 'status', status: 429, retryAfter: '0.15' }));
    const events: RetryEvent[] = [];
    const client = createChatClient(config(server.url, { onRetry: (e) => events.push(e) }));
    const started = Date.now();
    const result = await client.complete(ask, { key: 'k' });
    expect(E.isRight(result)).toBe(true);
    expect(events[0]).toMatchObject({ kind: 'http', status: 429, delayMs: 150 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('does not retry other 4xx', async () => {
    const server = await start(() => ({ kind: 'status', status: 400, body: '{"error":{"message":"bad image"}}' }));
    const client = createChatClient(config(server.url));
    const result = await client.complete(ask, { key: 'k' });
    expect(E.isLeft(result) && result.left).toMatchObject({ kind: 'http', status: 400, attempts: 1 });
    expect(E.isLeft(result) && result.left.message).toContain('bad image');
    expect(server.requests).toHaveLength(1);
  });

  const malformed: Array<[string, FakeReply, RegExp]> = [
    ['invalid JSON', { kind: 'malformed-json' }, /not JSON/],
    ['missing choices', { kind: 'wrong-shape', body: { id: 'x' } }, /choices/],
    ['empty choices', { kind: 'wrong-shape', body: { choices: [] } }, /NonEmptyChoices/],
    ['content of the wrong type', { kind: 'wrong-shape', body: { choices: [{ message: { content: 42 } }] } }, /content/],
    ['a JSON string', { kind: 'wrong-shape', body: 'hello' }, /choices/],
  ];
  for (const [name, reply, pattern] of malformed) {
    it(`records ${name} as a malformed failure without retrying`, async () => {
      const server = await start(() => reply);
      const client = createChatClient(config(server.url));
      const result = await client.complete(ask, { key: 'k' });
      expect(E.isLeft(result) && result.left).toMatchObject({ kind: 'malformed', attempts: 1 });
      expect(E.isLeft(result) && result.left.message).toMatch(pattern);
      expect(server.requests).toHaveLength(1);
    });
  }

  it('retries malformed replies when asked to', async () => {
    const server = await start(failThen(1, { kind: 'malformed-json' }));
    const client = createChatClient(config(server.url, { retryMalformed: true }));
    expect(await client.complete(ask, { key: 'k' })).toMatchObject(E.right({ content: 'fine', attempts: 2 }));
  });

  it('reads null content as an empty response', async () => {
    const server = await start(() => ({ kind: 'ok', content: null }));
    const client = createChatClient(config(server.url));
    expect(await client.complete(ask, { key: 'k' })).toMatchObject(E.right({ content: '' }));
  });

  it('stops at once when the caller aborts, during a request or a backoff wait', async () => {
    const hanging = await start(() => ({ kind: 'hang' }));
    const controller = new AbortController();
    const client = createChatClient(config(hanging.url, { timeoutMs: 5000 }));
    setTimeout(() => controller.abort(), 50);
    const result = await client.complete(ask, { key: 'k', signal: controller.signal });
    expect(E.isLeft(result) && result.left.kind).toBe('aborted');

    const failing = await start(() => ({ kind: 'status', status: 503, retryAfter: '10' }));
    const waiting = createChatClient(config(failing.url, { backoff: { baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 10_000 } }));
    const second = new AbortController();
    setTimeout(() => second.abort(), 50);
    const started = Date.now();
    const aborted = await waiting.complete(ask, { key: 'k', signal: second.signal });
    expect(E.isLeft(aborted) && aborted.left.kind).toBe('aborted');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(failing.requests).toHaveLength(1);
  });

  it('keeps the key out of error messages even when the server echoes it', async () => {
    const server = await start((r) => ({ kind: 'status', status: 401, body: JSON.stringify({ error: { message: `invalid key ${r.authorization}` } }) }));
    const client = createChatClient(config(server.url, { apiKey: new Secret('sk-echo-me-0123') }));
    const result = await client.complete(ask, { key: 'k' });
    expect(E.isLeft(result) && result.left.message).toContain('[redacted]');
    expect(E.isLeft(result) && result.left.message).not.toContain('sk-echo-me-0123');
  });

  it('refuses a bad configuration', () => {
    expect(() => createChatClient(config('ftp://x/v1'))).toThrow(/http/);
    expect(() => createChatClient(config('http://127.0.0.1:1/v1', { maxRetries: -1 }))).toThrow(/maxRetries/);
    expect(() => createChatClient(config('http://127.0.0.1:1/v1', { timeoutMs: 0 }))).toThrow(/timeoutMs/);
  });
});
