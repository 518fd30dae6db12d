import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import type { MathVistaMetadata } from '../formats/mathvista.js';
import {
  extractMathVistaAnswer,
  normalizeMathVistaExtraction,
  scoreMathVista,
  scoreMathVistaItem,
  type MathVistaScorable,
  type MathVistaScoringRow,
} from './mathvista.js';

const mc = (choices: string[] | null, answer = choices?.[0] ?? ''): MathVistaScorable => ({
  pid: 'mc',
  choices,
  question_type: 'multi_choice',
  answer_type: 'text',
  precision: null,
  answer,
});
const free = (answer_type: 'integer' | 'float' | 'list', answer: string, precision: number | null = null): MathVistaScorable => ({
  pid: 'ff',
  choices: null,
  question_type: 'free_form',
  answer_type,
  precision,
  answer,
});

const normalized = (problem: MathVistaScorable, extraction: string | number | null): string | null => {
  const result = normalizeMathVistaExtraction(problem)(extraction);
  if (E.isLeft(result)) throw result.left;
  return result.right;
};

describe('extractMathVistaAnswer (extract_answer steps 1–5)', () => {
  const choices = ['Yes', 'No'];
  it('returns "" for an empty response and a response equal to a choice text as itself', () => {
    expect(extractMathVistaAnswer(mc(choices))('')).toEqual({ kind: 'extracted', extraction: '', step: 'empty-response' });
    expect(extractMathVistaAnswer(mc(choices))('No')).toEqual({ kind: 'extracted', extraction: 'No', step: 'choice-text' });
    expect(extractMathVistaAnswer(mc(choices))('no')).toEqual({ kind: 'needs-llm' });
    expect(extractMathVistaAnswer(mc(choices))('B')).toEqual({ kind: 'needs-llm' });
  });

  it('integer answers: str(int(response)) accepts whitespace, signs and underscores, rejects "3.0" and "1,000"', () => {
    const extract = extractMathVistaAnswer(free('integer', '12'));
    expect(extract(' 12\n')).toEqual({ kind: 'extracted', extraction: '12', step: 'integer' });
    expect(extract('+1_000')).toEqual({ kind: 'extracted', extraction: '1000', step: 'integer' });
    expect(extract('-0')).toEqual({ kind: 'extracted', extraction: '0', step: 'integer' });
    expect(extract('007')).toEqual({ kind: 'extracted', extraction: '7', step: 'integer' });
    expect(extract('３')).toEqual({ kind: 'extracted', extraction: '3', step: 'integer' });
    for (const response of ['3.0', '1,000', '0x10', '1e3', 'The answer is 3']) expect(extract(response)).toEqual({ kind: 'needs-llm' });
  });

  it('float answers: str(float(response)) in Python repr', () => {
    const extract = extractMathVistaAnswer(free('float', '1.5', 1));
    expect(extract('2')).toEqual({ kind: 'extracted', extraction: '2.0', step: 'float' });
    expect(extract('1e3')).toEqual({ kind: 'extracted', extraction: '1000.0', step: 'float' });
    expect(extract(' inf ')).toEqual({ kind: 'extracted', extraction: 'inf', step: 'float' });
    expect(extract('NaN')).toEqual({ kind: 'extracted', extraction: 'nan', step: 'float' });
    expect(extract('5.')).toEqual({ kind: 'extracted', extraction: '5.0', step: 'float' });
    expect(extract('1.20')).toEqual({ kind: 'extracted', extraction: '1.2', step: 'float' });
    expect(extract('')).toEqual({ kind: 'extracted', extraction: '', step: 'empty-response' });
    expect(extract('about 1.5')).toEqual({ kind: 'needs-llm' });
  });

  it('quick extraction only when asked: greedy, and "." stops at \\n only', () => {
    const problem = free('list', '[1, 2]');
    expect(extractMathVistaAnswer(problem)('The answer is "[1, 2]".')).toEqual({ kind: 'needs-llm' });
    const quick = extractMathVistaAnswer(problem, { quickExtract: true });
    expect(quick('So. The answer is "[1, 2]".')).toEqual({ kind: 'extracted', extraction: '[1, 2]', step: 'quick-extract' });
    expect(quick('The answer is "a". Or the answer is "b".')).toEqual({ kind: 'extracted', extraction: 'a". Or the answer is "b', step: 'quick-extract' });
    expect(quick('The answer is "x\ry\u2028z".')).toEqual({ kind: 'extracted', extraction: 'x\ry\u2028z', step: 'quick-extract' });
    expect(quick('The answer is "x\ny".')).toEqual({ kind: 'needs-llm' });
  });
});

describe('normalizeMathVistaExtraction, multiple choice', () => {
  const choices = ['apple', 'banana', 'cherry', 'date'];
  it('maps an option letter, the first "(x)" anywhere (uppercased), to its choice text', () => {
    expect(normalized(mc(choices), 'B')).toBe('banana');
    expect(normalized(mc(choices), '  C \n')).toBe('cherry');
    expect(normalized(mc(choices), '(d) date')).toBe('date');
    expect(normalized(mc(choices), 'The answer is (C), not (A)')).toBe('cherry');
  });

  it('is case-sensitive for a bare letter: "b" goes to the closest choice text', () => {
    expect(normalized(mc(['b1', 'xx', 'yy', 'zz']), 'b')).toBe('b1');
    expect(normalized(mc(['xx', 'b', 'yy']), 'B')).toBe('b');
    expect(normalized(mc(['x', 'y']), 'C')).toBe('x');
  });

  it('sends everything else to the first choice at the smallest Levenshtein distance, so a prediction is always a choice', () => {
    expect(normalized(mc(['A', 'B', 'The answer is Bx']), 'The answer is B')).toBe('The answer is Bx');
    expect(normalized(mc(choices), 'banan')).toBe('banana');
    expect(normalized(mc(['long answer', 'ab', 'cd']), '')).toBe('ab');
    expect(normalized(mc(['Yes', 'No']), 'yes')).toBe('Yes');
    // Two edits to either of the first two choices: the first one wins.
    expect(normalized(mc(['20海里', '20√{2}海里', '15海里', '20海里']), '20√2海里')).toBe('20海里');
    expect(normalized(mc(['20海里', '20√{2}海里', '15海里', '20海里']), '20√{2}海')).toBe('20√{2}海里');
    expect(normalized(mc(['3', '5']), null)).toBe('3');
    expect(normalized(mc(['7', '3']), 3)).toBe('3');
  });

  it('handles the duplicated choices of pids 587, 740 and 781', () => {
    expect(normalized(mc(['15', '100', '50', '50']), 'D')).toBe('50');
    expect(normalized(mc(['9', '12', '18', '18']), '18')).toBe('18');
    expect(normalized(mc(['20海里', '20√{2}海里', '15海里', '20海里']), 'D')).toBe('20海里');
  });

  it('is an error for a multiple-choice problem without choices', () => {
    const result = normalizeMathVistaExtraction(mc(null))('A');
    expect(E.isLeft(result) && result.left.message).toMatch(/problem mc\.choices/);
  });

  it('always yields one of the choices (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 5 }), { minLength: 1, maxLength: 8 }), fc.string({ maxLength: 12 }), (cs, extraction) => {
        expect(cs).toContain(normalized(mc(cs), extraction));
      }),
      { numRuns: 300 },
    );
  });
});

describe('normalizeMathVistaExtraction, free form', () => {
  it('integer: str(int(float(e))) truncates toward zero; failures (inf, nan, text, None) give None', () => {
    const p = free('integer', '3');
    expect(normalized(p, '3.9')).toBe('3');
    expect(normalized(p, '-3.9')).toBe('-3');
    expect(normalized(p, '1e3')).toBe('1000');
    expect(normalized(p, ' 1_000 ')).toBe('1000');
    expect(normalized(p, 7.5)).toBe('7');
    for (const bad of ['inf', 'nan', 'three', '', '1,000', null]) expect(normalized(p, bad)).toBeNull();
  });

  it('float: str(round(float(e), precision)) with half-even on the binary value and Python repr', () => {
    expect(normalized(free('float', '1.2', 1), '1.25')).toBe('1.2');
    expect(normalized(free('float', '1.4', 1), '1.35')).toBe('1.4');
    expect(normalized(free('float', '0.12', 2), '0.125')).toBe('0.12');
    expect(normalized(free('float', '2.67', 2), '2.675')).toBe('2.67');
    expect(normalized(free('float', '1.0', 1), '1')).toBe('1.0');
    expect(normalized(free('float', '1.2', 2), '1.20')).toBe('1.2');
    expect(normalized(free('float', '-0.0', 1), '-0.04')).toBe('-0.0');
    expect(normalized(free('float', '1.0', 1), 'inf')).toBe('inf');
    expect(normalized(free('float', '1.0', 1), 'nan')).toBe('nan');
    expect(normalized(free('float', '1.0', null), '1.0')).toBeNull();
    expect(normalized(free('float', '1.0', 1), 'about one')).toBeNull();
    expect(normalized(free('float', '1.0', 1), null)).toBeNull();
  });

  it('list: str(e) unchanged, so spacing matters', () => {
    const p = free('list', '[2014, 2016]');
    expect(normalized(p, '[2014,2016]')).toBe('[2014,2016]');
    expect(E.map((r: { correct: boolean }) => r.correct)(scoreMathVistaItem(p)('[2014,2016]'))).toEqual(E.right(false));
    expect(E.map((r: { correct: boolean }) => r.correct)(scoreMathVistaItem(p)('[2014, 2016]'))).toEqual(E.right(true));
    expect(normalized(p, null)).toBe('None');
  });

  it('free-form text has no official normalisation: an error', () => {
    const result = normalizeMathVistaExtraction({ ...free('list', 'x'), answer_type: 'text' })('x');
    expect(E.isLeft(result)).toBe(true);
  });
});

describe('scoreMathVista', () => {
  const metadata = (skills: string[], language = 'english'): MathVistaMetadata => ({
    language,
    source: 'S',
    category: 'math-targeted-vqa',
    task: 'T',
    context: 'C',
    grade: 'G',
    skills,
  });
  const rows: MathVistaScoringRow[] = [
    { ...mc(['a', 'b'], 'b'), pid: '1', extraction: 'B', metadata: metadata(['logic', 'algebra']) },
    { ...free('integer', '3'), pid: '2', extraction: '3.4', metadata: metadata(['algebra']) },
    { ...free('integer', '3'), pid: '3', extraction: 'x', metadata: metadata(['logic'], 'chinese') },
    { ...mc(['a', 'b'], 'a'), pid: '4', extraction: '', metadata: metadata(['logic']) },
  ];

  it('counts correct items, unparsed items (empty extraction or None prediction) and every listed skill', () => {
    const score = scoreMathVista(rows);
    if (E.isLeft(score)) throw score.left;
    expect(score.right.items.map((item) => [item.id, item.prediction, item.correct, item.parsed])).toEqual([
      ['1', 'b', true, true],
      ['2', '3', true, true],
      ['3', null, false, false],
      ['4', 'a', true, false],
    ]);
    expect([score.right.correct, score.right.total, score.right.accuracy, score.right.unparsed]).toEqual([3, 4, 0.75, 2]);
    expect(score.right.breakdown['skills']).toEqual({
      algebra: { correct: 2, total: 2, accuracy: 1 },
      logic: { correct: 2, total: 3, accuracy: 2 / 3 },
    });
    expect(Object.keys(score.right.breakdown['language']!)).toEqual(['english', 'chinese']);
  });

  it('fails on the first row that cannot be scored', () => {
    expect(E.isLeft(scoreMathVista([...rows, { ...mc(null), pid: '5', extraction: 'A', metadata: metadata([]) }]))).toBe(true);
  });
});
