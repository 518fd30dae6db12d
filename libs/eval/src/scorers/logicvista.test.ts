import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { logicVistaEntry, logicVistaMatch, normalizeLogicVistaAnswers, preExtractLogicVista, scoreLogicVista } from './logicvista.js';

describe('logicVistaEntry', () => {
  it('takes the text between the first and second "ASSISTANT:" (LLaVA-style logs), else the raw answer', () => {
    expect(logicVistaEntry('USER: <image> Q? ASSISTANT: B')).toBe(' B');
    expect(logicVistaEntry('ASSISTANT: A ASSISTANT: C')).toBe(' A ');
    expect(logicVistaEntry('assistant: B')).toBe('assistant: B');
  });
});

describe('preExtractLogicVista', () => {
  const official = preExtractLogicVista();
  it('keeps an empty answer as [""]', () => {
    expect(official('')).toEqual({ kind: 'resolved', answers: [''], rule: 'empty' });
    expect(official(' \n\x1c')).toEqual({ kind: 'resolved', answers: [''], rule: 'empty' });
    expect(official('ASSISTANT:   ')).toEqual({ kind: 'resolved', answers: [''], rule: 'empty' });
  });

  it('maps a single letter outside a–e, or a single character neither letter nor numeric, to ZZZZZ', () => {
    for (const raw of ['G', 'g', ' F ', 'z', '?', '.', '😀', '三']) expect(official(raw)).toEqual({ kind: 'resolved', answers: ['ZZZZZ'], rule: 'invalid-single-character' });
  });

  it('sends everything else to the LLM, a bare "A" and a single digit included', () => {
    for (const raw of ['A', ' e ', '3', '½', 'B, D', 'The answer is C']) expect(official(raw)).toEqual({ kind: 'needs-llm', entry: raw });
  });

  it('with the (non-official) single-letter rule, resolves a single letter a–e to itself', () => {
    const withRule = preExtractLogicVista({ singleLetterRule: true });
    expect(withRule(' A\n')).toEqual({ kind: 'resolved', answers: ['A'], rule: 'single-letter' });
    expect(withRule('e')).toEqual({ kind: 'resolved', answers: ['e'], rule: 'single-letter' });
    expect(withRule('3')).toEqual({ kind: 'needs-llm', entry: '3' });
    expect(withRule('G')).toEqual({ kind: 'resolved', answers: ['ZZZZZ'], rule: 'invalid-single-character' });
  });
});

describe('logicVistaMatch', () => {
  it('compares lowercased, sorted lists: multi-answer items need every letter, duplicates count', () => {
    expect(logicVistaMatch('B, D')(['D', 'b'])).toBe(true);
    expect(logicVistaMatch('B, D')(['b'])).toBe(false);
    expect(logicVistaMatch('B, D')(['b', 'b', 'd'])).toBe(false);
    expect(logicVistaMatch('A')(['a'])).toBe(true);
    expect(logicVistaMatch('A')(['ZZZZZ'])).toBe(false);
    expect(logicVistaMatch('3')(['3'])).toBe(true);
    expect(logicVistaMatch('A,C')(['a', 'c'])).toBe(false);
  });

  it('lets an empty model answer "match" the empty answer of v1_382', () => {
    expect(logicVistaMatch('')([''])).toBe(true);
    expect(logicVistaMatch('')(['a'])).toBe(false);
  });

  it('lowercases, then sorts by code point as Python does (an astral letter after U+FF41, unlike UTF-16 order)', () => {
    expect(normalizeLogicVistaAnswers(['\u{10400}', '\uFF21'])).toEqual(['\uFF41', '\u{10428}']);
  });

  it('does not depend on the order of the extracted letters (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('A', 'B', 'C', 'D', 'E', 'a', 'c'), { minLength: 1, maxLength: 4 }), fc.constantFrom('A', 'B, D', 'A, C', ''), (letters, truth) => {
        expect(logicVistaMatch(truth)([...letters].reverse())).toBe(logicVistaMatch(truth)(letters));
      }),
      { numRuns: 200 },
    );
  });
});

describe('scoreLogicVista', () => {
  it('totals, unparsed (ZZZZZ or empty), and skill/capability breakdowns by substring', () => {
    const score = scoreLogicVista([
      { id: 'v1_0', truth: 'A', extracted: ['a'], skillText: "['inductive']", capabilityText: "['diagram', 'ocr']" },
      { id: 'v1_1', truth: 'B, D', extracted: ['b', 'd'], skillText: "['deductive']", capabilityText: "['ocr']" },
      { id: 'v1_2', truth: 'C', extracted: ['zzzzz'], skillText: "['inductive']", capabilityText: "['diagram and ocr']" },
      { id: 'v1_3', truth: 'C', extracted: [''], skillText: "['spatial']", capabilityText: undefined },
    ]);
    expect([score.correct, score.total, score.accuracy, score.unparsed]).toEqual([2, 4, 0.5, 2]);
    expect(score.items.map((item) => item.prediction)).toEqual(['a', 'b, d', 'zzzzz', '']);
    expect(score.breakdown['skill']).toEqual({
      deductive: { correct: 1, total: 1, accuracy: 1 },
      inductive: { correct: 1, total: 2, accuracy: 0.5 },
      spatial: { correct: 0, total: 1, accuracy: 0 },
    });
    expect(score.breakdown['capability']).toEqual({
      ocr: { correct: 2, total: 3, accuracy: 2 / 3 },
      diagram: { correct: 1, total: 2, accuracy: 0.5 },
      'diagram and ocr': { correct: 1, total: 2, accuracy: 0.5 },
    });
  });
});
