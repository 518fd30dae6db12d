/**
 * rlflow's own answer-extraction prompts (not the official few-shot ones): the judge is shown the
 * question and the model's response and asked for the final answer in the form the scorer reads.
 * MathVista: an option letter, an integer, a number, or a Python-style list, by the problem's
 * question and answer type (the scorer's normalisation then maps it, docs/evaluation.md §1.3). LogicVista: the
 * chosen option letter(s), comma-separated, or NONE (scored as the official `ZZZZZ`, docs/evaluation.md §2.2).
 */
import { createHash } from 'node:crypto';
import type { ChatMessage } from '../endpoint/client.js';
import type { MathVistaProblem } from '../formats/mathvista.js';

export const EXTRACTION_SYSTEM_PROMPT =
  'You read a model response to a question and report the final answer that the response commits to. ' +
  'You do not solve the question yourself and you do not correct the response. Reply with the answer only.';

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const NO_ANSWER = 'NONE';

/** The answer form a MathVista problem asks for, as one instruction line. */
export const mathVistaAnswerForm = (problem: Pick<MathVistaProblem, 'question_type' | 'answer_type' | 'precision' | 'choices'>): string => {
  if (problem.question_type === 'multi_choice') {
    const letters = [...LETTERS.slice(0, Math.max(1, problem.choices?.length ?? 0))].join(', ');
    return `the letter of the option the response chooses (one of ${letters}); if it names the option only by its text, the letter of that option`;
  }
  switch (problem.answer_type) {
    case 'integer':
      return 'an integer in digits (no units, no words, no thousands separators)';
    case 'float':
      return `a decimal number as the response states it${problem.precision === null ? '' : ` (the question wants ${problem.precision} decimal place${problem.precision === 1 ? '' : 's'})`}, without units`;
    case 'list':
      return 'a list written as [a, b, c] with a comma and a space between elements';
    case 'text':
      return 'the answer text';
  }
};

/** The judge's messages for a MathVista response. */
export const mathVistaExtractionMessages = (
  problem: Pick<MathVistaProblem, 'question_type' | 'answer_type' | 'precision' | 'choices'>,
  query: string,
  response: string,
): ChatMessage[] => [
  { role: 'system', content: EXTRACTION_SYSTEM_PROMPT },
  {
    role: 'user',
    content:
      `Question (as the model saw it):\n${query}\n\n` +
      `Model response:\n${response}\n\n` +
      `Report the final answer of the model response. Form: ${mathVistaAnswerForm(problem)}. ` +
      `If the response gives no final answer, reply ${NO_ANSWER}.`,
  },
];

/** The judge's messages for a LogicVista answer. */
export const logicVistaExtractionMessages = (question: string, answer: string): ChatMessage[] => [
  { role: 'system', content: EXTRACTION_SYSTEM_PROMPT },
  {
    role: 'user',
    content:
      `Multiple-choice question (its options may be only in an image the model saw):\n${question}\n\n` +
      `Model answer:\n${answer}\n\n` +
      'Which option letter or letters does the model answer choose? Reply with the letter(s) only, separated by commas when there are several ' +
      `(for example "B" or "A, C"). If it chooses no option, reply ${NO_ANSWER}.`,
  },
];

/** MathVista: the judge's reply as an extraction (`NONE` → `""`). */
export const parseMathVistaJudgeReply = (reply: string): string => {
  const text = reply.trim().replace(/^["'`]+|["'`]+$/g, '').trim();
  return text.toUpperCase() === NO_ANSWER ? '' : text;
};

/** LogicVista: the judge's reply as the list the scorer compares (`['ZZZZZ']` when it names no letter). */
export const parseLogicVistaJudgeReply = (reply: string): string[] => {
  const letters = reply.toUpperCase().match(/\b[A-H]\b/g) ?? [];
  const unique = [...new Set(letters)];
  return unique.length === 0 || reply.trim().toUpperCase() === NO_ANSWER ? ['ZZZZZ'] : unique;
};

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The hash of an extraction prompt: the messages with the response replaced by a fixed marker. */
export const promptHash = (messagesWithoutResponse: readonly ChatMessage[]): string => sha256(JSON.stringify(messagesWithoutResponse));

export const RESPONSE_MARKER = '\u0000response\u0000';
