import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { benchmarkFile } from '../formats/benchmarks-dir.js';
import {
  RESPONSE_MARKER,
  logicVistaExtractionMessages,
  mathVistaAnswerForm,
  mathVistaExtractionMessages,
  parseLogicVistaJudgeReply,
  parseMathVistaJudgeReply,
  promptHash,
} from './prompt.js';

const mc = { question_type: 'multi_choice' as const, answer_type: 'text' as const, precision: null, choices: ['97', '102', '107', '122'] };
const float2 = { question_type: 'free_form' as const, answer_type: 'float' as const, precision: 2, choices: null };

const text = (messages: ReturnType<typeof mathVistaExtractionMessages>): string => messages.map((m) => (typeof m.content === 'string' ? m.content : '')).join('\n');

describe('extraction prompts', () => {
  it('show the question, the response and the answer form the scorer reads', () => {
    const prompt = text(mathVistaExtractionMessages(mc, 'Find $m\\angle H$', 'It is (B) 102.'));
    expect(prompt).toContain('Find $m\\angle H$');
    expect(prompt).toContain('It is (B) 102.');
    expect(prompt).toContain('one of A, B, C, D');
    expect(mathVistaAnswerForm(float2)).toContain('2 decimal places');
    expect(mathVistaAnswerForm({ question_type: 'free_form', answer_type: 'list', precision: null, choices: null })).toContain('[a, b, c]');
    const lv = logicVistaExtractionMessages('Select from A, B and C.', 'I pick C');
    expect(lv.at(-1)!.content).toContain('Select from A, B and C.');
    expect(lv.at(-1)!.content).toContain('I pick C');
  });

  it('are not the official few-shot prompt', async () => {
    const prompt = text(mathVistaExtractionMessages(mc, 'q', 'r'));
    expect(prompt).not.toContain('Extracted answer:');
    const bard = JSON.parse(await readFile(benchmarkFile('mathvista', 'results', 'output_bard.json'), 'utf8')) as Record<string, { query: string }>;
    // The official demo prompt quotes the queries of pids 852, 104, 824, 506 and 540.
    for (const pid of ['852', '104', '824', '506', '540']) expect(prompt).not.toContain(bard[pid]!.query.slice(0, 60));
  });

  it('hash the template and question, not the response', () => {
    const a = promptHash(mathVistaExtractionMessages(mc, 'q1', RESPONSE_MARKER));
    expect(promptHash(mathVistaExtractionMessages(mc, 'q1', RESPONSE_MARKER))).toBe(a);
    expect(promptHash(mathVistaExtractionMessages(mc, 'q2', RESPONSE_MARKER))).not.toBe(a);
    expect(promptHash(mathVistaExtractionMessages(float2, 'q1', RESPONSE_MARKER))).not.toBe(a);
  });

  it('parse judge replies', () => {
    expect(parseMathVistaJudgeReply('  B \n')).toBe('B');
    expect(parseMathVistaJudgeReply('"1.45"')).toBe('1.45');
    expect(parseMathVistaJudgeReply('NONE')).toBe('');
    expect(parseMathVistaJudgeReply('[2007, 2008]')).toBe('[2007, 2008]');
    expect(parseLogicVistaJudgeReply('B')).toEqual(['B']);
    expect(parseLogicVistaJudgeReply('A, C')).toEqual(['A', 'C']);
    expect(parseLogicVistaJudgeReply('b and d')).toEqual(['B', 'D']);
    expect(parseLogicVistaJudgeReply('I think A')).toEqual(['A']);
    expect(parseLogicVistaJudgeReply('NONE')).toEqual(['ZZZZZ']);
    expect(parseLogicVistaJudgeReply('no option chosen')).toEqual(['ZZZZZ']);
  });
});
