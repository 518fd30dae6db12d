import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { benchmarkFile } from '../formats/benchmarks-dir.js';
import { startFakeOpenAIServer, type FakeServer } from '../endpoint/testing/fake-openai-server.js';
import { measureExtraction } from './measure.js';

const servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const base = { concurrency: 4, timeoutMs: 1000, maxRetries: 1, backoff: { baseDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 10 }, seed: 0 };

describe('extraction agreement with the stored official extractions', () => {
  it('rules on MathVista Bard (1000 rows): the figures reported in the docs', async () => {
    const measured = await measureExtraction({ benchmark: 'mathvista', file: benchmarkFile('mathvista', 'results', 'output_bard.json'), ...base });
    if (E.isLeft(measured)) throw new Error(measured.left);
    const r = measured.right.report;
    expect(r).toMatchObject({ rows: 1000, extractor: 'rules', accuracy: { stored: 348, ours: 336 } });
    expect([r.extraction.agree, r.prediction.agree, r.verdict.agree]).toEqual([818, 913, 972]);
    expect(measured.right.judge).toBeNull();
  });

  it('rules on LogicVista GPT4 and LLaVA-13B (448 rows each)', async () => {
    const figures: number[][] = [];
    for (const model of ['GPT4', 'LLAVA13B']) {
      const measured = await measureExtraction({
        benchmark: 'logicvista',
        file: benchmarkFile('logicvista', 'eval', 'results', `${model}-accuracy-results.csv`),
        dataPath: benchmarkFile('logicvista', 'dataset.json'),
        ...base,
      });
      if (E.isLeft(measured)) throw new Error(measured.left);
      const r = measured.right.report;
      figures.push([r.extraction.agree, r.verdict.agree, r.accuracy.ours, r.accuracy.stored]);
    }
    expect(figures).toEqual([
      [446, 447, 145, 146],
      [445, 447, 107, 108],
    ]);
  });

  it('the measuring tool with a judge, against a fake endpoint that knows the stored answers; a second measurement is all cache', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlflow-agree-'));
    const bard = JSON.parse(await readFile(benchmarkFile('mathvista', 'results', 'output_bard.json'), 'utf8')) as Record<string, { response: string; extraction: string }>;
    const rows = Object.values(bard).slice(0, 30);
    // Replies with the stored extraction of the response it is shown, except for two rows.
    const server = await startFakeOpenAIServer({
      respond: (r) => {
        const row = rows.find((x) => x.response !== '' && r.text.includes(x.response));
        if (row === undefined) return { kind: 'ok', content: 'NONE' };
        return { kind: 'ok', content: row === rows[3] || row === rows[7] ? 'Z' : row.extraction };
      },
    });
    servers.push(server);
    const options = {
      benchmark: 'mathvista' as const,
      file: benchmarkFile('mathvista', 'results', 'output_bard.json'),
      judge: { endpoint: server.url, model: 'fake-judge', cachePath: join(dir, 'cache.jsonl') },
      limit: 30,
      ...base,
    };
    const measured = await measureExtraction(options);
    if (E.isLeft(measured)) throw new Error(measured.left);
    const r = measured.right.report;
    expect(r.extractor).toBe('llm:fake-judge');
    expect(r.rows).toBe(30);
    expect(r.extraction.agree).toBe(28);
    expect(r.disagreements.map((d) => d.ours)).toEqual(['Z', 'Z']);
    expect(measured.right.judge).toMatchObject({ model: 'fake-judge', requests: 30, cacheHits: 0, failures: 0 });
    const requests = server.requests.length;

    const again = await measureExtraction(options);
    if (E.isLeft(again)) throw new Error(again.left);
    expect(server.requests).toHaveLength(requests);
    expect(again.right.judge).toMatchObject({ requests: 0, cacheHits: 30 });
    expect(again.right.report.extraction).toEqual(r.extraction);
  });

  it('LogicVista needs the dataset for its questions', async () => {
    const measured = await measureExtraction({ benchmark: 'logicvista', file: benchmarkFile('logicvista', 'eval', 'results', 'GPT4-accuracy-results.csv'), ...base });
    expect(measured).toEqual(E.left('LogicVista agreement needs --data dataset.json (the questions)'));
  });
});
