/** The published benchmark files decode, and their documented composition (docs/evaluation.md) holds. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { benchmarkFile } from './benchmarks-dir.js';
import { createMathVistaQuery, loadMathVistaOutput, loadMathVistaProblems, loadMathVistaScoreFile, type MathVistaProblems } from './mathvista.js';
import { loadLogicVistaAnswers, loadLogicVistaDataset, loadLogicVistaResults, logicVistaIds } from './logicvista.js';
import { loadMmmuProOutput, loadMmmuProPrompts, MMMU_PRO_PROMPTS, mmmuProFileSetting, mmmuProOptions, mmmuProPrompt } from './mmmu-pro.js';
import { pyFloat, pyFloatRepr, pyIntFromFloat, pyRound } from './python-number.js';
import { logicVistaEntry } from '../scorers/logicvista.js';

const right = <A>(result: E.Either<Error, A>): A => {
  if (E.isLeft(result)) throw result.left;
  return result.right;
};

const countBy = <T>(items: readonly T[], key: (item: T) => string): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
};

const LOGICVISTA_MODELS = ['BLIP2', 'GPT4', 'LLAVA13B', 'LLAVA7B', 'deplot', 'instructBLIP-vicuna-7B', 'miniGPTvicuna7B', 'pix2struct'];

describe('MathVista testmini.json', async () => {
  const problems: MathVistaProblems = right(await loadMathVistaProblems(benchmarkFile('mathvista', 'testmini.json')));
  const list = Object.values(problems);

  it('has the composition docs/evaluation.md §1.1 lists', () => {
    expect(list).toHaveLength(1000);
    expect(countBy(list, (p) => `${p.question_type}/${p.answer_type}`)).toEqual({ 'multi_choice/text': 540, 'free_form/integer': 418, 'free_form/float': 40, 'free_form/list': 2 });
    expect(countBy(list.filter((p) => p.answer_type === 'float'), (p) => String(p.precision))).toEqual({ 1: 20, 2: 20 });
    expect(list.filter((p) => p.answer_type === 'list').map((p) => p.answer)).toEqual(['[0, 2, 0, 2, 1, 7, 1, 2, 0, 3, 0, 6]', '[2014, 2016]']);
    expect(countBy(list.filter((p) => p.choices !== null), (p) => String(p.choices!.length))).toEqual({ 2: 185, 3: 18, 4: 273, 5: 51, 6: 9, 7: 3, 8: 1 });
    expect(list.filter((p) => p.unit !== null && p.unit !== '')).toHaveLength(50);
    expect(countBy(list, (p) => p.metadata.language)).toEqual({ english: 936, chinese: 62, persian: 2 });
    const duplicated = list.filter((p) => p.choices !== null && new Set(p.choices).size < p.choices.length).map((p) => p.pid);
    expect(duplicated).toEqual(['587', '740', '781']);
  });

  it("satisfies str(round(float(a), p)) == a, str(int(float(a))) == a, and MC answers are choices", () => {
    for (const p of list) {
      if (p.answer_type === 'float') expect(pyFloatRepr(pyRound(pyFloat(p.answer)!, p.precision!)!)).toBe(p.answer);
      if (p.answer_type === 'integer') expect(pyIntFromFloat(pyFloat(p.answer)!)!.toString()).toBe(p.answer);
      if (p.question_type === 'multi_choice') expect(p.choices).toContain(p.answer);
    }
  });

  it('rebuilds the published zero-shot query (docs/evaluation.md example for pid 5)', () => {
    expect(createMathVistaQuery(problems['5']!)).toEqual(
      E.right(
        'Hint: Please answer the question and provide the correct option letter, e.g., A, B, C, D, at the end.\nQuestion: Find $m\\angle H$\nChoices:\n(A) 97\n(B) 102\n(C) 107\n(D) 122',
      ),
    );
    expect(E.isLeft(createMathVistaQuery({ ...problems['5']!, question_type: 'free_form', answer_type: 'text' }))).toBe(true);
  });
});

describe('MathVista output_bard.json', async () => {
  const output = right(await loadMathVistaOutput(benchmarkFile('mathvista', 'results', 'output_bard.json')));
  const rows = Object.values(output);

  it('decodes 1000 rows with string extractions and boolean verdicts', () => {
    expect(rows).toHaveLength(1000);
    expect(rows.every((row) => typeof row.extraction === 'string' && typeof row.true_false === 'boolean')).toBe(true);
    expect(rows.filter((row) => row.true_false)).toHaveLength(348);
  });

  it('carries the query createMathVistaQuery builds, except 15 rows from an older data version (other choices, or the question untrimmed)', () => {
    const differing = rows.filter((row) => right(createMathVistaQuery(row)) !== row.query);
    expect(differing).toHaveLength(15);
    const hintAndQuestion = (query: string): string => query.split('\nChoices:\n')[0]!.trim();
    for (const row of differing) expect(hintAndQuestion(right(createMathVistaQuery(row)))).toBe(hintAndQuestion(row.query!));
  });

  it('has a published score file that decodes', async () => {
    const scores = right(await loadMathVistaScoreFile(benchmarkFile('mathvista', 'results', 'scores_bard.json')));
    expect(scores.average).toEqual({ accuracy: '34.8', correct: 348, total: 1000 });
  });
});

describe('LogicVista files', async () => {
  const dataset = right(await loadLogicVistaDataset(benchmarkFile('logicvista', 'dataset.json')));

  it('dataset.json has the composition docs/evaluation.md §2.1 lists', () => {
    const ids = logicVistaIds(dataset);
    expect(ids).toHaveLength(448);
    const answers = ids.map((id) => dataset[id]!.answer);
    // docs/evaluation.md §2.1 says 440; the file has 441 (111 A, 104 B, 110 C, 83 D, 33 E), and 441 + 7 = 448.
    expect(answers.filter((a) => /^[A-E]$/.test(a))).toHaveLength(441);
    expect(Object.fromEntries(ids.filter((id) => !/^[A-E]$/.test(dataset[id]!.answer)).map((id) => [id, dataset[id]!.answer]))).toEqual({
      v1_1: 'A, C',
      v1_2: 'B, D',
      v1_5: 'B, D',
      v1_4: 'G',
      v1_20: '3',
      v1_21: 'F',
      v1_382: '',
    });
    expect(countBy(ids, (id) => dataset[id]!.skill.join('+'))).toEqual({ inductive: 107, deductive: 93, numerical: 95, spatial: 79, mechanical: 74 });
    expect(ids.filter((id) => dataset[id]!.liscenced === 'true')).toHaveLength(161);
    expect(ids.filter((id) => 'sourceli,nk' in dataset[id]!)).toHaveLength(1);
  });

  it.each(LOGICVISTA_MODELS)('%s-accuracy-results.csv decodes: 448 rows, true answers equal the dataset answers', async (model) => {
    const results = right(await loadLogicVistaResults(benchmarkFile('logicvista', 'eval', 'results', `${model}-accuracy-results.csv`)));
    expect(results.model).toBe(model);
    expect(results.rows.map((row) => row.id)).toEqual(logicVistaIds(dataset));
    for (const row of results.rows) expect(row.trueAnswer).toEqual(dataset[row.id]!.answer.toLowerCase().split(', ').sort());
    const answers = right(await loadLogicVistaAnswers(benchmarkFile('logicvista', 'eval', 'answers', `${model}-answers.json`)));
    for (const row of results.rows) expect(row.raw).toBe(logicVistaEntry(answers[row.id]!.answer));
  });
});

describe('MMMU-Pro files', async () => {
  const files = ['gpt-4o_standard10_cot.jsonl', 'gpt-4o_vision_cot.jsonl'];
  const outputs = await Promise.all(files.map(async (file) => right(await loadMmmuProOutput(benchmarkFile('mmmu-pro', 'output', file)))));

  it('each output has 1730 rows whose Python-literal options parse, with the option counts of docs/evaluation.md §3.1', () => {
    for (const rows of outputs) {
      expect(rows).toHaveLength(1730);
      const options = rows.map((row) => right(mmmuProOptions(row)));
      expect(countBy(options, (o) => String(o.length))).toEqual({ 10: 1214, 9: 221, 4: 124, 3: 41, 5: 41, 8: 31, 2: 28, 6: 16, 7: 12, 1: 1, 12: 1 });
      expect(rows.filter((row) => { try { JSON.parse(row.options); return false; } catch { return true; } })).toHaveLength(1719);
      expect(new Set(rows.map((row) => row.answer))).toEqual(new Set('ABCDEFGHIJ'));
    }
    expect(outputs.map((rows) => rows.filter((row) => row.if_right === true || row.if_right === 'True').length)).toEqual([952, 866]);
  });

  it('prompts.yaml holds exactly the built-in suffixes', async () => {
    expect(right(await loadMmmuProPrompts(benchmarkFile('mmmu-pro', 'prompts.yaml')))).toEqual(MMMU_PRO_PROMPTS);
    expect(readFileSync(benchmarkFile('mmmu-pro', 'prompts.yaml'), 'utf8')).toContain(MMMU_PRO_PROMPTS.direct.standard);
  });

  it('names settings from file names and builds the standard and vision prompts', () => {
    expect(mmmuProFileSetting('out/gpt-4o_standard(10 options)_cot.jsonl')).toEqual({ model: 'gpt-4o', setting: 'standard', method: 'cot', variant: 'standard(10 options)' });
    expect(mmmuProFileSetting('gpt-4o_standard10_cot.jsonl')?.setting).toBe('standard');
    expect(mmmuProFileSetting('gpt-4o_vision_direct.jsonl')?.method).toBe('direct');
    expect(mmmuProFileSetting('results.jsonl')).toBeUndefined();
    expect(mmmuProPrompt('standard', 'direct', { question: 'Which <image 1> and <image 2>?', options: ['x', "y's"] })).toBe(
      "Which <image> and <image>?\nA. x\nB. y's\nAnswer with the option letter from the given choices directly.",
    );
    expect(mmmuProPrompt('vision', 'cot', { question: 'ignored', options: [] })).toBe(MMMU_PRO_PROMPTS.cot.vision);
  });
});
