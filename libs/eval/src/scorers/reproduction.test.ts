/**
 * The published figures (docs/evaluation.md, top): each official result file re-scored here reproduces its
 * stored per-row verdicts, not only the totals.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { benchmarkFile } from '../formats/benchmarks-dir.js';
import { loadMathVistaOutput } from '../formats/mathvista.js';
import { loadLogicVistaAnswers, loadLogicVistaResults } from '../formats/logicvista.js';
import { loadMmmuProOutput } from '../formats/mmmu-pro.js';
import { scoreLogicVistaResultsFile, scoreMathVistaOutputFile, scoreMmmuProOutputFile } from './files.js';
import { extractMathVistaAnswer, mathVistaScoreFile } from './mathvista.js';
import { preExtractLogicVista } from './logicvista.js';

const right = <A>(result: E.Either<Error, A>): A => {
  if (E.isLeft(result)) throw result.left;
  return result.right;
};

describe('MathVista: Bard (output_bard.json, stored extractions)', async () => {
  const path = benchmarkFile('mathvista', 'results', 'output_bard.json');
  const { score, verdicts } = right(await scoreMathVistaOutputFile(path));
  const rows = Object.values(right(await loadMathVistaOutput(path)));

  it('scores 348/1000 and reproduces every row’s true_false', () => {
    expect([score.correct, score.total]).toEqual([348, 1000]);
    expect(score.items.map((item) => item.correct)).toEqual(rows.map((row) => row.true_false));
    expect(verdicts).toEqual({ agree: 1000, compared: 1000, disagreeing: [] });
  });

  it('reproduces every stored prediction except the 3 the older normaliser left None ("3.4" → 3 now)', () => {
    const differing = score.items.filter((item, i) => item.prediction !== rows[i]!.prediction);
    expect(differing.map((item) => [item.id, item.extraction, item.prediction])).toEqual([
      ['89', '3.4', '3'],
      ['617', '7.07', '7'],
      ['729', '0.5', '0'],
    ]);
    expect(differing.every((item) => !item.correct)).toBe(true);
  });

  it('reproduces the published score file scores_bard.json, breakdowns and their order included', () => {
    const published = JSON.parse(readFileSync(benchmarkFile('mathvista', 'results', 'scores_bard.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    const ours = mathVistaScoreFile(score) as Record<string, Record<string, unknown>>;
    expect(ours).toEqual(published);
    for (const key of Object.keys(published)) expect(Object.keys(ours[key]!)).toEqual(Object.keys(published[key]!));
  });

  it('resolves no Bard response without the LLM (docs/evaluation.md §1.2 observation)', () => {
    expect(rows.filter((row) => extractMathVistaAnswer(row)(row.response).kind === 'extracted')).toEqual([]);
  });
});

const LOGICVISTA_TOTALS: Readonly<Record<string, number>> = {
  GPT4: 146,
  LLAVA7B: 131,
  LLAVA13B: 108,
  BLIP2: 96,
  'instructBLIP-vicuna-7B': 67,
  miniGPTvicuna7B: 50,
  pix2struct: 40,
  deplot: 1,
};

describe('LogicVista: the extracted column of each results CSV against dataset.json', () => {
  const dataset = benchmarkFile('logicvista', 'dataset.json');

  it.each(Object.entries(LOGICVISTA_TOTALS))('%s reproduces its match? column (%i/448)', async (model, total) => {
    const csv = benchmarkFile('logicvista', 'eval', 'results', `${model}-accuracy-results.csv`);
    const { score, verdicts } = right(await scoreLogicVistaResultsFile(csv, dataset));
    const stored = right(await loadLogicVistaResults(csv)).rows;
    expect(score.items.map((item) => Number(item.correct))).toEqual(stored.map((row) => row.match));
    expect([score.correct, score.total, verdicts.agree]).toEqual([total, 448, 448]);
  });

  it('GPT4 per-skill accuracy: each skill row counted once, by substring of the skill cell', async () => {
    const { score } = right(await scoreLogicVistaResultsFile(benchmarkFile('logicvista', 'eval', 'results', 'GPT4-accuracy-results.csv'), dataset));
    expect(Object.fromEntries(Object.entries(score.breakdown['skill']!).map(([skill, g]) => [skill, [g.correct, g.total]]))).toEqual({
      deductive: [51, 93],
      mechanical: [31, 74],
      numerical: [23, 95],
      inductive: [24, 107],
      spatial: [17, 79],
    });
  });

  // BLIP2's CSV predates the ZZZZZ rule: its raw answer "t" (v1_381) was extracted as ['t'].
  const knownExceptions: Readonly<Record<string, readonly string[]>> = { BLIP2: ['v1_381'] };

  it.each(Object.keys(LOGICVISTA_TOTALS))('%s: every answer the deterministic rules resolve matches the official extraction', async (model) => {
    const stored = right(await loadLogicVistaResults(benchmarkFile('logicvista', 'eval', 'results', `${model}-accuracy-results.csv`))).rows;
    const answers = right(await loadLogicVistaAnswers(benchmarkFile('logicvista', 'eval', 'answers', `${model}-answers.json`)));
    const differing = stored.filter((row) => {
      const pre = preExtractLogicVista()(answers[row.id]!.answer);
      return pre.kind === 'resolved' && JSON.stringify(row.extracted) !== JSON.stringify(pre.answers.map((a) => a.toLowerCase()));
    });
    expect(differing.map((row) => row.id)).toEqual(knownExceptions[model] ?? []);
  });

  // docs/evaluation.md §2.2 counts 393 single-letter BLIP2 answers; a single character after the ASSISTANT split and strip gives 368.
  it('the single-letter rule agrees with the official LLM extraction wherever it applies', async () => {
    const agreement = async (model: string): Promise<[number, number]> => {
      const stored = right(await loadLogicVistaResults(benchmarkFile('logicvista', 'eval', 'results', `${model}-accuracy-results.csv`))).rows;
      const answers = right(await loadLogicVistaAnswers(benchmarkFile('logicvista', 'eval', 'answers', `${model}-answers.json`)));
      const singles = stored.flatMap((row) => {
        const pre = preExtractLogicVista({ singleLetterRule: true })(answers[row.id]!.answer);
        return pre.kind === 'resolved' && pre.rule === 'single-letter' ? [[row.extracted, pre.answers.map((a) => a.toLowerCase())] as const] : [];
      });
      return [singles.filter(([official, rule]) => JSON.stringify(official) === JSON.stringify(rule)).length, singles.length];
    };
    expect(await agreement('GPT4')).toEqual([434, 434]);
    expect(await agreement('BLIP2')).toEqual([368, 368]);
    expect(await agreement('LLAVA13B')).toEqual([441, 441]);
    expect(await agreement('pix2struct')).toEqual([176, 178]);
  });
});

describe('MMMU-Pro: GPT-4o outputs with the official parser', () => {
  it.each([
    ['gpt-4o_standard10_cot.jsonl', 952, { 'answer-line': 1715, 'single-candidate': 8, 'multiple-candidates': 7, random: 0, unscorable: 0 }],
    ['gpt-4o_vision_cot.jsonl', 866, { 'answer-line': 1677, 'single-candidate': 26, 'multiple-candidates': 24, random: 3, unscorable: 0 }],
  ] as const)('%s: %i/1730, every stored pred_indexs and if_right reproduced outside the random fallback', async (file, total, routes) => {
    const path = benchmarkFile('mmmu-pro', 'output', file);
    const { score, verdicts, predictions, warnings } = right(await scoreMmmuProOutputFile(path, { fallback: 'stored' }));
    const rows = right(await loadMmmuProOutput(path));
    expect([score.correct, score.total, score.unparsed]).toEqual([total, 1730, routes.random]);
    expect(score.routes).toEqual(routes);
    score.items.forEach((item, i) => {
      if (item.route !== 'random') {
        expect(item.prediction, item.id).toBe(rows[i]!.pred_indexs);
        expect(item.correct, item.id).toBe(rows[i]!.if_right);
      }
    });
    expect(predictions).toEqual({ agree: 1730 - routes.random, compared: 1730 - routes.random, disagreeing: [] });
    expect(verdicts.agree).toBe(1730);
    expect(warnings).toEqual([]);
  });

  it('vision CoT with a seeded fallback: the 3 random rows are unparsed and the other 1727 unchanged', async () => {
    const path = benchmarkFile('mmmu-pro', 'output', 'gpt-4o_vision_cot.jsonl');
    const seeded = right(await scoreMmmuProOutputFile(path, { fallback: 'seeded', seed: 0 })).score;
    const stored = right(await scoreMmmuProOutputFile(path, { fallback: 'stored' })).score;
    expect(seeded.items.filter((item) => !item.parsed).map((item) => item.id)).toEqual(['validation_Accounting_5', 'validation_Economics_29', 'validation_Energy_and_Power_9']);
    expect(seeded.items.filter((item, i) => item.parsed && item.prediction !== stored.items[i]!.prediction)).toEqual([]);
  });
});
