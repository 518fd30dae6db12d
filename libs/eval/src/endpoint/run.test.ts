import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { createChatClient, type ChatClient } from './client.js';
import { Journal, type JournalHeader } from './journal.js';
import { runSamples, type RunItem } from './run.js';
import { startFakeOpenAIServer, type FakeReply, type FakeRequest, type FakeServer } from './testing/fake-openai-server.js';

const servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const header: JournalHeader = {
  type: 'header',
  version: 1,
  run: { benchmark: 'test', setting: 'test', model: 'm', temperature: 1, maxTokens: null, topP: null, dataSha256: 'x' },
  endpoint: 'http://127.0.0.1/v1',
  createdAt: '2025-01-01T00:00:00.000Z',
};

const items: RunItem[] = Array.from({ length: 12 }, (_, i) => ({
  id: `item${i}`,
  messages: async () => E.right([{ role: 'user' as const, content: [{ type: 'text' as const, text: `question item${i}` }] }]),
}));

const keyOf = (r: FakeRequest): string => `${r.text.replace('question ', '')}#${String((r.body as { seed?: number }).seed)}`;

/** item3 fails twice with 500, item5 gets a 429 with Retry-After first, item7 always replies malformed JSON, the rest answer. */
const faulty = (r: FakeRequest): FakeReply => {
  if (r.text.endsWith('item3') && r.priorSameText < 2) return { kind: 'status', status: 500 };
  if (r.text.endsWith('item5') && r.priorSameText < 1) return { kind: 'status', status: 429, retryAfter: '0.02' };
  if (r.text.endsWith('item7')) return { kind: 'malformed-json' };
  if (r.text.endsWith('item9') && r.priorSameText < 1) return { kind: 'drop' };
  return { kind: 'ok', content: `answer to ${keyOf(r)}`, delayMs: 3 };
};

const client = (url: string) =>
  createChatClient({ baseURL: url, timeoutMs: 1000, maxRetries: 3, backoff: { baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 100 }, seed: 0 });

const openJournal = async (path: string): Promise<Journal> => {
  const opened = await Journal.open(path, header);
  if (E.isLeft(opened)) throw opened.left;
  return opened.right;
};

describe('runSamples', () => {
  it('is interrupted, then resumed without losing, duplicating or re-requesting a finished sample', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'rlflow-run-')), 'journal.jsonl');
    const controller = new AbortController();
    const first = await startFakeOpenAIServer({ respond: faulty });
    servers.push(first);
    const journal1 = await openJournal(path);
    const outcome1 = await runSamples({
      items,
      samples: 2,
      client: client(first.url),
      journal: journal1,
      sampling: { model: 'm', temperature: 1, seedOf: (_id, s) => s },
      concurrency: 3,
      signal: controller.signal,
      onSample: (_e, done) => (done >= 8 ? controller.abort() : undefined),
    });
    await journal1.close();
    expect(outcome1.aborted).toBe(true);
    const finishedFirst = new Set([...journal1.entries()].filter(([, e]) => e.status === 'ok').map(([k]) => k));
    expect(finishedFirst.size).toBeGreaterThanOrEqual(8);
    expect(finishedFirst.size).toBeLessThan(24);

    const second = await startFakeOpenAIServer({ respond: faulty });
    servers.push(second);
    const journal2 = await openJournal(path);
    const progress: number[] = [];
    const outcome2 = await runSamples({
      items,
      samples: 2,
      client: client(second.url),
      journal: journal2,
      sampling: { model: 'm', temperature: 1, seedOf: (_id, s) => s },
      concurrency: 3,
      onSample: (_e, done) => progress.push(done),
    });
    await journal2.close();
    expect(outcome2.aborted).toBe(false);
    expect(outcome2.resumed).toBe(finishedFirst.size);
    const requestedSecond = new Set(second.requests.map(keyOf));
    for (const key of finishedFirst) expect(requestedSecond.has(key), key).toBe(false);

    const entries = journal2.entries();
    expect(entries.size).toBe(24);
    expect(entries.get('item7#0')).toMatchObject({ status: 'error', error: { kind: 'malformed' } });
    for (const [key, e] of entries) if (!key.startsWith('item7#')) expect(e, key).toMatchObject({ status: 'ok', response: `answer to ${key}` });
    expect(progress.at(-1)).toBe(24);

    const lines = (await readFile(path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { type: string; id?: string; sample?: number; status?: string });
    expect(lines.filter((l) => l.type === 'header')).toHaveLength(1);
    const okKeys = lines.filter((l) => l.status === 'ok').map((l) => `${l.id}#${l.sample}`);
    expect(new Set(okKeys).size).toBe(okKeys.length);
    expect(okKeys).toHaveLength(22);
  });

  it('keeps errored samples when asked, asks again for them otherwise, and never exceeds the concurrency', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'rlflow-run-')), 'journal.jsonl');
    const server = await startFakeOpenAIServer({
      respond: (r) => (r.text.endsWith('item2') ? { kind: 'wrong-shape', body: { choices: 'none' } } : { kind: 'ok', content: 'x', delayMs: 8 }),
    });
    servers.push(server);
    let inFlight = 0;
    let peak = 0;
    const inner = client(server.url);
    const counting: ChatClient = {
      complete: async (request, context) => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        try {
          return await inner.complete(request, context);
        } finally {
          inFlight -= 1;
        }
      },
    };
    const base = { items, samples: 1, client: counting, sampling: { model: 'm' }, concurrency: 2 };
    const j1 = await openJournal(path);
    await runSamples({ ...base, journal: j1 });
    await j1.close();
    expect(peak).toBe(2);
    expect(server.requests).toHaveLength(12);

    const j2 = await openJournal(path);
    const kept = await runSamples({ ...base, journal: j2, retryErrors: false });
    await j2.close();
    expect(kept).toMatchObject({ resumed: 12, requested: 0 });
    expect(server.requests).toHaveLength(12);

    const j3 = await openJournal(path);
    const retried = await runSamples({ ...base, journal: j3 });
    await j3.close();
    expect(retried).toMatchObject({ resumed: 11, requested: 1 });
    expect(server.requests.slice(12).map((r) => r.text)).toEqual(['question item2']);
  });

  it('records an item whose messages cannot be built as an input error without a request', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'rlflow-run-')), 'journal.jsonl');
    const server = await startFakeOpenAIServer({ respond: () => ({ kind: 'ok', content: 'x' }) });
    servers.push(server);
    const journal = await openJournal(path);
    await runSamples({
      items: [{ id: 'bad', messages: async () => E.left('image "x.png" not found') }],
      samples: 2,
      client: client(server.url),
      journal,
      sampling: { model: 'm' },
      concurrency: 2,
    });
    await journal.close();
    expect(server.requests).toHaveLength(0);
    expect(journal.entries().get('bad#1')).toMatchObject({ status: 'error', error: { kind: 'input', message: 'image "x.png" not found' } });
  });
});
