import { describe, expect, it } from 'vitest';
import { appendFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { Journal, JournalMismatch, foldJournal, type JournalHeader, type SampleEntry } from './journal.js';
import { LineFileError } from '@rlflow/core';
import { forEachBounded } from './pool.js';

const header: JournalHeader = {
  type: 'header',
  version: 1,
  run: { benchmark: 'mathvista', setting: 'mathvista', model: 'm', temperature: 0, maxTokens: null, topP: null, dataSha256: 'abc' },
  endpoint: 'http://127.0.0.1/v1',
  createdAt: '2025-01-01T00:00:00.000Z',
};

const entry = (id: string, sample: number, status: 'ok' | 'error', response = 'r'): SampleEntry => ({
  type: 'sample',
  id,
  sample,
  status,
  response: status === 'ok' ? response : null,
  error: status === 'ok' ? null : { kind: 'http', message: 'HTTP 500', status: 500 },
  finishReason: status === 'ok' ? 'stop' : null,
  attempts: 1,
  elapsedMs: 1,
  promptTokens: null,
  completionTokens: null,
  at: '2025-01-01T00:00:00.000Z',
});

const openOrThrow = async (path: string, h: JournalHeader = header): Promise<Journal> => {
  const opened = await Journal.open(path, h);
  if (E.isLeft(opened)) throw opened.left;
  return opened.right;
};

const tempJournal = async (): Promise<string> => join(await mkdtemp(join(tmpdir(), 'rlflow-journal-')), 'out.json.journal.jsonl');

describe('journal', () => {
  it('keeps the first ok line of a sample, lets ok replace an error, and counts duplicates', () => {
    const state = foldJournal([header, entry('1', 0, 'error'), entry('1', 0, 'ok', 'first'), entry('1', 0, 'ok', 'second'), entry('2', 0, 'error')]);
    expect(state.entries.get('1#0')).toMatchObject({ status: 'ok', response: 'first' });
    expect(state.entries.get('2#0')).toMatchObject({ status: 'error' });
    expect(state.duplicates).toBe(1);
  });

  it('writes a header once and reads back what was appended', async () => {
    const path = await tempJournal();
    const journal = await openOrThrow(path);
    await journal.append(entry('1', 0, 'ok'));
    await journal.append(entry('2', 0, 'error'));
    await journal.close();
    const again = await openOrThrow(path);
    expect([...again.state.entries.keys()]).toEqual(['1#0', '2#0']);
    await again.close();
    const lines = (await readFile(path, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[0]!)).toMatchObject({ type: 'header' });
  });

  it('ignores a half-written last line and cuts it off before appending', async () => {
    const path = await tempJournal();
    const journal = await openOrThrow(path);
    await journal.append(entry('1', 0, 'ok'));
    await journal.close();
    await appendFile(path, JSON.stringify(entry('2', 0, 'ok')).slice(0, 37));
    const resumed = await openOrThrow(path);
    expect(resumed.state.tornBytes).toBe(37);
    expect([...resumed.state.entries.keys()]).toEqual(['1#0']);
    await resumed.append(entry('2', 0, 'ok'));
    await resumed.close();
    const final = await openOrThrow(path);
    expect([...final.state.entries.keys()]).toEqual(['1#0', '2#0']);
    expect(final.state.tornBytes).toBe(0);
    await final.close();
  });

  it('refuses a corrupt line in the middle, naming its line', async () => {
    const path = await tempJournal();
    await writeFile(path, `${JSON.stringify(header)}\n{"type":"sample","id":\n${JSON.stringify(entry('1', 0, 'ok'))}\n`);
    const opened = await Journal.open(path, header);
    expect(E.isLeft(opened) && opened.left).toBeInstanceOf(LineFileError);
    expect(E.isLeft(opened) && opened.left.message).toMatch(/:2: not JSON/);
  });

  it('refuses a journal written for another run, naming the fields', async () => {
    const path = await tempJournal();
    await (await openOrThrow(path)).close();
    const other = { ...header, run: { ...header.run, model: 'other', temperature: 0.7 } };
    const opened = await Journal.open(path, other);
    expect(E.isLeft(opened) && opened.left).toBeInstanceOf(JournalMismatch);
    expect(E.isLeft(opened) && opened.left.message).toMatch(/model: "m" in the journal, "other" now; temperature: 0 in the journal, 0.7 now/);
  });

  it('keeps concurrent appends whole, one line each', async () => {
    const path = await tempJournal();
    const journal = await openOrThrow(path);
    await Promise.all(Array.from({ length: 40 }, (_, i) => journal.append(entry(String(i), 0, 'ok', 'x'.repeat(5000)))));
    await journal.close();
    const again = await openOrThrow(path);
    expect(again.state.entries.size).toBe(40);
    await again.close();
  });
});

describe('forEachBounded', () => {
  it('never has more than `concurrency` calls in flight and runs every task once', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    await forEachBounded(Array.from({ length: 25 }, (_, i) => i), 4, async (task) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 1 + (task % 3)));
      seen.push(task);
      inFlight -= 1;
    });
    expect(peak).toBe(4);
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });

  it('starts nothing after an abort and waits for the calls in flight', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    let settled = 0;
    await forEachBounded(Array.from({ length: 20 }, (_, i) => i), 3, async (task) => {
      started.push(task);
      if (task === 4) controller.abort();
      await new Promise((r) => setTimeout(r, 5));
      settled += 1;
    }, controller.signal);
    expect(started.length).toBeLessThanOrEqual(7);
    expect(settled).toBe(started.length);
  });

  it('rethrows the first failure after the others settle', async () => {
    await expect(forEachBounded([1, 2, 3], 2, async (task) => {
      if (task === 2) throw new Error('boom');
    })).rejects.toThrow('boom');
    await expect(forEachBounded([1], 0, async () => undefined)).rejects.toThrow(/concurrency/);
  });
});
