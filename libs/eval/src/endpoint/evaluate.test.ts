import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { createMathVistaQuery, mmmuProOptions, mmmuProPrompt, type MathVistaProblem } from '../formats/index.js';
import { scoreLogicVistaResultsFile, scoreMathVistaOutputFile, scoreMmmuProOutputFile } from '../scorers/files.js';
import { evaluateEndpoint, type EvaluateOptions, type EvalSummary } from './evaluate.js';
import { Secret } from './secret.js';
import { startFakeOpenAIServer, type FakeReply, type FakeRequest, type FakeServer } from './testing/fake-openai-server.js';
import { logicVistaFixture, mathVistaFixture, mmmuProFixture } from './testing/fixtures.js';

const servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
const serve = async (respond: (r: FakeRequest) => FakeReply): Promise<FakeServer> => {
  const server = await startFakeOpenAIServer({ respond });
  servers.push(server);
  return server;
};

const fast = { concurrency: 3, timeoutMs: 2000, maxRetries: 3, backoff: { baseDelayMs: 1, maxDelayMs: 4, maxRetryAfterMs: 50 }, seed: 1 };

const run = async (options: EvaluateOptions): Promise<EvalSummary> => {
  const result = await evaluateEndpoint(options);
  if (E.isLeft(result)) throw new Error(result.left);
  if (result.right.status !== 'complete') throw new Error('run was aborted');
  return result.right.summary;
};

const allFiles = async (dir: string): Promise<string[]> =>
  (await readdir(dir, { recursive: true, withFileTypes: true })).filter((d) => d.isFile()).map((d) => join(d.parentPath, d.name));

const MATHVISTA_PIDS = ['5', '1', '2', '3', '6', '7', '10', '20'];

describe('evaluateEndpoint', () => {
  it('MathVista, k = 3: avg@k and unbiased pass@k, each sample file re-scored by the official scorer to the same counts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlflow-eval-'));
    const fixture = await mathVistaFixture(dir, MATHVISTA_PIDS);
    const problems = JSON.parse(await readFile(fixture.data, 'utf8')) as Record<string, MathVistaProblem>;
    const byQuery = new Map(Object.values(problems).map((p) => [E.getOrElseW(() => '')(createMathVistaQuery(p)), p]));
    // The first request for an item gets the right answer, the others a wrong one: c = 1 of n = 3 for every item.
    const server = await serve((r) => {
      const problem = byQuery.get(r.text);
      if (problem === undefined) return { kind: 'status', status: 400 };
      if (r.imageUrls.length !== 1 || !r.imageUrls[0]!.startsWith('data:image/png;base64,')) return { kind: 'status', status: 400 };
      const right = problem.choices === null ? problem.answer : String.fromCharCode(65 + problem.choices.indexOf(problem.answer));
      const wrong = problem.choices === null ? `${problem.answer}7` : String.fromCharCode(65 + ((problem.choices.indexOf(problem.answer) + 1) % problem.choices.length));
      return { kind: 'ok', content: `Let me think.\nThe answer is ${r.priorSameText === 0 ? right : wrong}` };
    });
    const summary = await run({ benchmark: 'mathvista', dataPath: fixture.data, endpoint: server.url, model: 'fake-vlm', out: join(dir, 'out', 'output_fake.json'), samples: 3, temperature: 1, ...fast });
    expect(server.requests).toHaveLength(24);
    expect(summary.correctPerSample.reduce((a, b) => a + b, 0)).toBe(8);
    expect(summary.avgAtK).toBeCloseTo(1 / 3, 12);
    expect(summary.passAtK['1']).toBeCloseTo(1 / 3, 12);
    expect(summary.passAtK['2']).toBeCloseTo(2 / 3, 12);
    expect(summary.passAtK['3']).toBeCloseTo(1, 12);
    expect(summary.outputs).toEqual([0, 1, 2].map((s) => join(dir, 'out', `sample-${s}`, 'output_fake.json')));
    for (const [s, path] of summary.outputs.entries()) {
      const rescored = await scoreMathVistaOutputFile(path);
      if (E.isLeft(rescored)) throw rescored.left;
      expect(rescored.right.score.correct).toBe(summary.correctPerSample[s]);
      const rows = JSON.parse(await readFile(path, 'utf8')) as Record<string, Record<string, unknown>>;
      expect(Object.keys(rows).sort()).toEqual([...MATHVISTA_PIDS].sort());
      expect(rows['5']).toMatchObject({ pid: '5', query: E.getOrElseW(() => '')(createMathVistaQuery(problems['5']!)), answer: '97' });
      expect(typeof rows['5']!['response']).toBe('string');
    }
    const again = await run({ benchmark: 'mathvista', dataPath: fixture.data, endpoint: server.url, model: 'fake-vlm', out: join(dir, 'out', 'output_fake.json'), samples: 3, temperature: 1, ...fast });
    expect(server.requests).toHaveLength(24);
    expect(again.run).toMatchObject({ requested: 0, resumed: 24 });
    expect(again.passAtK).toEqual(summary.passAtK);
  });

  it('LogicVista subset with an LLM judge: judge model recorded, results CSV scored officially, a re-run makes no request of either server', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlflow-eval-'));
    // Five of the 448 items under their own (non-contiguous) ids, listed out of order.
    const fixture = await logicVistaFixture(dir, ['v1_417', 'v1_287', 'v1_373', 'v1_288', 'v1_331']);
    const model = await serve((r) => ({ kind: 'ok', content: r.text.includes('Select from A, B and C') ? 'I would pick option (A) here.' : 'Hard to say; maybe the second one, B.' }));
    const judge = await serve((r) => ({ kind: 'ok', content: r.text.includes('option (A)') ? 'A' : 'B' }));
    const options: EvaluateOptions = {
      benchmark: 'logicvista',
      dataPath: fixture.data,
      endpoint: model.url,
      model: 'fake-vlm',
      out: join(dir, 'out', 'FAKE-answers.json'),
      samples: 1,
      judge: { endpoint: judge.url, model: 'fake-judge' },
      ...fast,
    };
    const summary = await run(options);
    expect(model.requests).toHaveLength(5);
    expect(model.requests.every((r) => r.imageUrls.length === 1 && r.imageUrls[0]!.startsWith('data:image/png;base64,'))).toBe(true);
    expect(judge.requests).toHaveLength(5);
    expect(judge.requests[0]!.model).toBe('fake-judge');
    expect(judge.requests[0]!.body).toMatchObject({ temperature: 0 });
    expect(summary.extraction).toMatchObject({ method: 'llm', judgeModel: 'fake-judge', judgeRequests: 5, cacheHits: 0, sources: { llm: 5 } });
    const answers = JSON.parse(await readFile(join(dir, 'out', 'FAKE-answers.json'), 'utf8')) as Record<string, { answer: string; reasoning: string }>;
    expect(Object.keys(answers)).toEqual(['v1_287', 'v1_288', 'v1_331', 'v1_373', 'v1_417']);
    expect(summary.perItem.map((item) => item.id)).toEqual(Object.keys(answers));
    const dataset = JSON.parse(await readFile(fixture.data, 'utf8')) as Record<string, { question: string }>;
    for (const [id, { answer }] of Object.entries(answers)) {
      expect(answer).toBe(dataset[id]!.question.includes('Select from A, B and C') ? 'I would pick option (A) here.' : 'Hard to say; maybe the second one, B.');
    }
    const csv = join(dir, 'out', 'FAKE-accuracy-results.csv');
    expect(summary.outputs).toEqual([join(dir, 'out', 'FAKE-answers.json'), csv]);
    const rescored = await scoreLogicVistaResultsFile(csv, fixture.data);
    if (E.isLeft(rescored)) throw rescored.left;
    expect(rescored.right.score.correct).toBe(summary.correctPerSample[0]);
    expect(rescored.right.verdicts.agree).toBe(5);
    expect(rescored.right.score.items.map((item) => item.id)).toEqual(Object.keys(answers));
    expect(rescored.right.warnings).toEqual([]);

    const again = await run(options);
    expect(model.requests).toHaveLength(5);
    expect(judge.requests).toHaveLength(5);
    expect(again.extraction).toMatchObject({ judgeRequests: 0, cacheHits: 5, sources: { cache: 5 } });
    expect(again.correctPerSample).toEqual(summary.correctPerSample);
  });

  it('MMMU-Pro standard and vision: official prompt, text then images, failed rows as {"error": …}, re-scored to the same counts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlflow-eval-'));
    const fixture = await mmmuProFixture(dir, 4);
    const rows = (await readFile(fixture.data, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { id: string; question: string; options: string; answer: string });
    const rowOf = (text: string) => rows.find((x) => text.startsWith(`${x.question.replace(/<image \d>/g, '<image>')}\nA. `));
    const server = await serve((r) => {
      const row = rowOf(r.text);
      if (row === rows[1]) return { kind: 'wrong-shape', body: { choices: [{ message: { content: null, role: 7 } }] } };
      return { kind: 'ok', content: `Reasoning.\nAnswer: ${row?.answer ?? 'A'}` };
    });
    const summary = await run({ benchmark: 'mmmu-pro', dataPath: fixture.data, endpoint: server.url, model: 'fake-vlm', out: join(dir, 'out', 'fake_standard_cot.jsonl'), samples: 1, ...fast });
    const first = server.requests.find((r) => rowOf(r.text) === rows[0])!;
    const options = mmmuProOptions(rows[0]!);
    if (E.isLeft(options)) throw options.left;
    expect(first.text).toBe(mmmuProPrompt('standard', 'cot', { question: rows[0]!.question, options: options.right }));
    const content = (first.body as { messages: Array<{ content: Array<{ type: string }> }> }).messages[0]!.content;
    expect(content.map((p) => p.type)).toEqual(['text', 'image_url', 'image_url']);
    expect(summary.errors).toMatchObject({ count: 1, byKind: { malformed: 1 } });
    const out = (await readFile(join(dir, 'out', 'fake_standard_cot.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out).toHaveLength(4);
    expect(out.every((row) => !Object.keys(row).some((k) => k === 'image' || k.startsWith('image_')))).toBe(true);
    expect(out[1]!['response']).toMatchObject({ error: expect.stringMatching(/role/) });
    const rescored = await scoreMmmuProOutputFile(join(dir, 'out', 'fake_standard_cot.jsonl'), { seed: 1, fallback: 'seeded' });
    if (E.isLeft(rescored)) throw rescored.left;
    expect(rescored.right.score.correct).toBe(summary.correctPerSample[0]);
    expect(summary.correctPerSample[0]).toBeGreaterThanOrEqual(3);

    const vision = await serve(() => ({ kind: 'ok', content: 'Answer: B' }));
    await run({ benchmark: 'mmmu-pro', mmmuSetting: 'vision', mmmuMethod: 'direct', dataPath: fixture.data, endpoint: vision.url, model: 'fake-vlm', out: join(dir, 'vision', 'fake_vision_direct.jsonl'), samples: 1, ...fast });
    expect(vision.requests.map((r) => r.imageUrls.length)).toEqual([1, 1, 1, 1]);
    expect(new Set(vision.requests.map((r) => r.text))).toEqual(new Set([mmmuProPrompt('vision', 'direct', { question: '', options: [] })]));
  });

  it('MMMU-Pro validation_Accounting_29 (one option, itself a list) with no letter in the reply: counted as unparsed with a warning naming it, outputs written, and again on a re-run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlflow-eval-'));
    const ids = ['validation_Accounting_29', 'test_History_1'];
    const fixture = await mmmuProFixture(dir, ids);
    const rows = (await readFile(fixture.data, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { id: string; question: string; options: string; answer: string });
    expect(rows.map((r) => [r.id, r.options.startsWith("[['A', 'B', 'Not enough information']]")])).toEqual([[ids[0], true], [ids[1], false]]);
    const nested = rows[0]!;
    // More than five words and no option letter: the parser reaches the content step, which calls .lower() on the list option.
    const server = await serve((r) =>
      r.text.startsWith(nested.question.replace(/<image \d>/g, '<image>')) ? { kind: 'ok', content: 'I cannot tell which one it is from this table.' } : { kind: 'ok', content: `Answer: ${rows[1]!.answer}` },
    );
    const out = join(dir, 'out', 'fake_standard_cot.jsonl');
    const logs: string[] = [];
    const options: EvaluateOptions = { benchmark: 'mmmu-pro', dataPath: fixture.data, endpoint: server.url, model: 'fake-vlm', out, samples: 1, log: (l) => logs.push(l), ...fast };
    const summary = await run(options);
    expect(server.requests).toHaveLength(2);
    expect(summary.unscorable).toEqual([{ id: 'validation_Accounting_29', sample: 0, reason: expect.stringMatching(/option A is not a string/) as unknown as string }]);
    expect(summary.unparsedPerSample).toEqual([1]);
    expect(summary.correctPerSample).toEqual([1]);
    expect(summary.extraction.sources).toEqual({ unscorable: 1, 'answer-line': 1 });
    expect(summary.perItem[0]).toEqual({ id: 'validation_Accounting_29', correct: [false], predictions: [null] });
    expect(logs.filter((l) => /warning: validation_Accounting_29#0 is unscorable.*option A is not a string/.test(l))).toHaveLength(1);
    const firstText = await readFile(out, 'utf8');
    const written = firstText.trim().split('\n').map((l) => JSON.parse(l) as { id: string; response: unknown });
    expect(written.map((row) => [row.id, row.response])).toEqual([
      ['validation_Accounting_29', 'I cannot tell which one it is from this table.'],
      ['test_History_1', `Answer: ${rows[1]!.answer}`],
    ]);
    const rescored = await scoreMmmuProOutputFile(out, { fallback: 'seeded' });
    if (E.isLeft(rescored)) throw rescored.left;
    expect([rescored.right.score.correct, rescored.right.score.unparsed, rescored.right.score.routes.unscorable]).toEqual([1, 1, 1]);
    expect(rescored.right.warnings.filter((w) => w.includes('validation_Accounting_29') && w.includes('option A is not a string'))).toHaveLength(1);

    logs.length = 0;
    const again = await run(options);
    expect(server.requests).toHaveLength(2);
    expect(again.run).toMatchObject({ requested: 0, resumed: 2 });
    expect([again.unscorable, again.correctPerSample, again.unparsedPerSample]).toEqual([summary.unscorable, [1], [1]]);
    expect(logs.some((l) => l.includes('validation_Accounting_29#0 is unscorable'))).toBe(true);
    expect(await readFile(out, 'utf8')).toBe(firstText);
  });

  it('refuses image paths outside the images root without asking the server, and never writes the key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlflow-eval-'));
    const fixture = await mathVistaFixture(dir, ['5', '1', '2']);
    const problems = JSON.parse(await readFile(fixture.data, 'utf8')) as Record<string, MathVistaProblem>;
    await writeFile(fixture.data, JSON.stringify({ ...problems, '2': { ...problems['2']!, image: '../../../etc/passwd' } }));
    const key = 'sk-never-written-7f3a9c';
    const server = await serve((r) =>
      r.text.includes('Find $m\\angle H$')
        ? { kind: 'ok', content: `echo ${r.authorization ?? ''}` }
        : { kind: 'status', status: 400, body: JSON.stringify({ error: { message: `bad key ${r.authorization ?? ''}` } }) },
    );
    const logs: string[] = [];
    const summary = await run({ benchmark: 'mathvista', dataPath: fixture.data, endpoint: server.url, apiKey: new Secret(key), model: 'fake', out: join(dir, 'out', 'output_fake.json'), samples: 1, log: (l) => logs.push(l), ...fast });
    expect(server.requests).toHaveLength(2);
    expect(server.requests.every((r) => r.authorization === `Bearer ${key}`)).toBe(true);
    expect(summary.errors.byKind).toEqual({ input: 1, http: 1 });
    expect(summary.errors.first.find((e) => e.id === '2')?.message).toMatch(/leaves the images root/);
    for (const file of await allFiles(dir)) expect(await readFile(file, 'utf8'), file).not.toContain(key);
    expect(logs.join('\n')).not.toContain(key);
    expect(JSON.stringify(summary)).toContain('[redacted]');
  });
});
