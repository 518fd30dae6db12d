import { describe, expect, it } from 'vitest';
import { ruleExtractLogicVista, ruleExtractMathVista } from './rules.js';

const mc = ruleExtractMathVista({ question_type: 'multi_choice', answer_type: 'text', choices: ['Yes', 'No'] });
const mc4 = ruleExtractMathVista({ question_type: 'multi_choice', answer_type: 'text', choices: ['97', '102', '107', '122'] });
const int = ruleExtractMathVista({ question_type: 'free_form', answer_type: 'integer', choices: null });
const float = ruleExtractMathVista({ question_type: 'free_form', answer_type: 'float', choices: null });
const list = ruleExtractMathVista({ question_type: 'free_form', answer_type: 'list', choices: null });

describe('MathVista rules', () => {
  it('apply the official deterministic steps first', () => {
    expect(int(' 12 ')).toEqual({ value: '12', source: 'official' });
    expect(float('1.50')).toEqual({ value: '1.5', source: 'official' });
    expect(mc('Yes')).toEqual({ value: 'Yes', source: 'official' });
    expect(int('')).toEqual({ value: '', source: 'official' });
    expect(int('Thus The answer is "7".')).toEqual({ value: '7', source: 'official' });
  });

  it('read stated letters, bracketed letters, then choice texts', () => {
    expect(mc4('Reasoning...\nSo the answer is (C).')).toEqual({ value: 'C', source: 'rule' });
    expect(mc4('Answer: B')).toEqual({ value: 'B', source: 'rule' });
    expect(mc4('Between (A) and (D), the angle must be (D) because ...')).toEqual({ value: 'D', source: 'rule' });
    expect(mc4('The angle is 107 degrees.')).toEqual({ value: '107', source: 'rule' });
    expect(mc('No, it is not. Nothing suggests it.')).toEqual({ value: 'No', source: 'rule' });
    expect(mc4('The answer is E.')).toEqual({ value: '', source: 'none' });
    expect(mc4('I cannot tell.')).toEqual({ value: '', source: 'none' });
  });

  it('read numbers: boxed, stated, else last; commas removed', () => {
    expect(int('x = 3, so \\boxed{1,024} in total')).toEqual({ value: '1024', source: 'rule' });
    expect(int('The answer is 14. Check: 7 + 7 = 14, and 2 more')).toEqual({ value: '14', source: 'rule' });
    expect(float('so d = 0.12 m and then 3 steps')).toEqual({ value: '3', source: 'rule' });
    expect(float('The answer is -1.45 meters')).toEqual({ value: '-1.45', source: 'rule' });
    expect(int('no number here')).toEqual({ value: '', source: 'none' });
  });

  it('re-join lists with Python spacing', () => {
    expect(list('years [2014,2016] are the ones')).toEqual({ value: '[2014, 2016]', source: 'rule' });
  });
});

describe('LogicVista rules', () => {
  it('keep the official pre-LLM rules and add the single-letter rule', () => {
    expect(ruleExtractLogicVista('')).toEqual({ value: [''], source: 'official' });
    expect(ruleExtractLogicVista('G')).toEqual({ value: ['ZZZZZ'], source: 'official' });
    expect(ruleExtractLogicVista(' B ')).toEqual({ value: ['B'], source: 'official' });
    expect(ruleExtractLogicVista('USER: x ASSISTANT: C')).toEqual({ value: ['C'], source: 'official' });
  });

  it('read letter lists, stated letters and a single bracketed letter', () => {
    expect(ruleExtractLogicVista('B, D')).toEqual({ value: ['B', 'D'], source: 'rule' });
    expect(ruleExtractLogicVista('A and C')).toEqual({ value: ['A', 'C'], source: 'rule' });
    expect(ruleExtractLogicVista('(D) Some scholars are not music enthusiasts')).toEqual({ value: ['D'], source: 'rule' });
    expect(ruleExtractLogicVista('The correct choice is B.')).toEqual({ value: ['B'], source: 'rule' });
    expect(ruleExtractLogicVista("I'm sorry, I can't help.")).toEqual({ value: ['ZZZZZ'], source: 'none' });
  });
});
