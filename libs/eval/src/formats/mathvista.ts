/**
 * MathVista (lupantech/MathVista) files, docs/evaluation.md §1.1: `data/testmini.json` (problems keyed by pid),
 * `data/query.json` (pid → prompt) and the published `results/<model>/output_<model>.json` (a problem
 * plus `query`, `response`, `extraction`, `prediction`, `true_false`). Codecs allow extra keys.
 * `createMathVistaQuery` rebuilds the zero-shot prompt of `evaluation/build_query.py::create_one_query`.
 */
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { StageError, literalUnion, type DecodeError } from '@rlflow/core';
import { decodeJsonText, loadJson } from './load.js';

export const MathVistaQuestionType = literalUnion(['multi_choice', 'free_form'], 'MathVistaQuestionType');
export type MathVistaQuestionType = t.TypeOf<typeof MathVistaQuestionType>;

export const MathVistaAnswerType = literalUnion(['text', 'integer', 'float', 'list'], 'MathVistaAnswerType');
export type MathVistaAnswerType = t.TypeOf<typeof MathVistaAnswerType>;

export const MathVistaMetadata = t.intersection(
  [
    t.type({
      language: t.string,
      source: t.string,
      category: t.string,
      task: t.string,
      context: t.string,
      grade: t.string,
      skills: t.array(t.string),
    }),
    t.partial({ split: t.string, img_width: t.number, img_height: t.number }),
  ],
  'MathVistaMetadata',
);
export type MathVistaMetadata = t.TypeOf<typeof MathVistaMetadata>;

/** One problem of `testmini.json`. `answer` is always a string; `precision` is set only for float answers. */
export const MathVistaProblem = t.intersection(
  [
    t.type({
      pid: t.string,
      question: t.string,
      image: t.string,
      choices: t.union([t.array(t.string), t.null]),
      unit: t.union([t.string, t.null]),
      precision: t.union([t.number, t.null]),
      answer: t.string,
      question_type: MathVistaQuestionType,
      answer_type: MathVistaAnswerType,
      metadata: MathVistaMetadata,
    }),
    t.partial({ query: t.string }),
  ],
  'MathVistaProblem',
);
export type MathVistaProblem = t.TypeOf<typeof MathVistaProblem>;

/** `testmini.json`: pid → problem. */
export const MathVistaProblems = t.record(t.string, MathVistaProblem, 'MathVistaProblems');
export type MathVistaProblems = t.TypeOf<typeof MathVistaProblems>;

/** `query.json`: pid → prompt text. */
export const MathVistaQueries = t.record(t.string, t.string, 'MathVistaQueries');
export type MathVistaQueries = t.TypeOf<typeof MathVistaQueries>;

/**
 * An extraction as stored: a string (the usual case), `null` (Python `None`) or a JSON number (an
 * integral JSON number stands for a Python int, others for a float).
 */
export const MathVistaExtraction = t.union([t.string, t.number, t.null], 'MathVistaExtraction');
export type MathVistaExtraction = t.TypeOf<typeof MathVistaExtraction>;

/** One row of `output_<model>.json`. `prediction` and `true_false` are the stored (official) results. */
export const MathVistaOutputRow = t.intersection(
  [
    MathVistaProblem,
    t.type({ response: t.string }),
    t.partial({
      query: t.string,
      extraction: MathVistaExtraction,
      prediction: t.union([t.string, t.number, t.null]),
      true_false: t.boolean,
      error: t.union([t.string, t.null]),
    }),
  ],
  'MathVistaOutputRow',
);
export type MathVistaOutputRow = t.TypeOf<typeof MathVistaOutputRow>;

/** `output_<model>.json`: pid → row. */
export const MathVistaOutput = t.record(t.string, MathVistaOutputRow, 'MathVistaOutput');
export type MathVistaOutput = t.TypeOf<typeof MathVistaOutput>;

const GroupScore = t.type({ accuracy: t.union([t.string, t.number]), correct: t.number, total: t.number });

/** `scores_<model>.json`: `average` plus `key → value → {accuracy, correct, total}` (accuracy a string in ed0d56d, a number at HEAD). */
export const MathVistaScoreFile = t.intersection(
  [t.type({ average: GroupScore }), t.record(t.string, t.union([GroupScore, t.record(t.string, GroupScore)]))],
  'MathVistaScoreFile',
);
export type MathVistaScoreFile = t.TypeOf<typeof MathVistaScoreFile>;

export const decodeMathVistaProblems = (source: string): ((text: string) => E.Either<DecodeError, MathVistaProblems>) =>
  decodeJsonText(MathVistaProblems, source);
export const decodeMathVistaOutput = (source: string): ((text: string) => E.Either<DecodeError, MathVistaOutput>) =>
  decodeJsonText(MathVistaOutput, source);

export const loadMathVistaProblems = loadJson(MathVistaProblems);
export const loadMathVistaQueries = loadJson(MathVistaQueries);
export const loadMathVistaOutput = loadJson(MathVistaOutput);
export const loadMathVistaScoreFile = loadJson(MathVistaScoreFile);

/**
 * The hint line of `build_query.py` (zero-shot, `shot_type='solution'`) for a problem's question and answer
 * type, or `undefined` for a combination the official code has no hint for (free-form text, a float
 * precision other than 1 or 2; none occur in testmini).
 */
export const mathVistaHint = (problem: Pick<MathVistaProblem, 'question_type' | 'answer_type' | 'precision'>): string | undefined => {
  if (problem.question_type === 'multi_choice') {
    return problem.answer_type === 'text'
      ? 'Hint: Please answer the question and provide the correct option letter, e.g., A, B, C, D, at the end.'
      : undefined;
  }
  switch (problem.answer_type) {
    case 'integer':
      return 'Hint: Please answer the question requiring an integer answer and provide the final value, e.g., 1, 2, 3, at the end.';
    case 'float':
      return problem.precision === 1
        ? 'Hint: Please answer the question requiring a floating-point number with one decimal place and provide the final value, e.g., 1.2, 1.3, 1.4, at the end.'
        : problem.precision === 2
          ? 'Hint: Please answer the question requiring a floating-point number with two decimal places and provide the final value, e.g., 1.23, 1.34, 1.45, at the end.'
          : undefined;
    case 'list':
      return 'Hint: Please answer the question requiring a Python list as an answer and provide the final list, e.g., [1, 2, 3], [1.2, 1.3, 1.4], at the end.';
    case 'text':
      return undefined;
  }
};

/**
 * The zero-shot query of `build_query.py::create_one_query` as published in `query.json` (docs/evaluation.md §1.1):
 * hint, `Question: …` (with ` (Unit: …)` when there is a unit) and, for multiple choice, `Choices:` with
 * one `(A) text` line per choice. A problem the official code has no hint for is an error.
 */
export const createMathVistaQuery = (
  problem: Pick<MathVistaProblem, 'pid' | 'question' | 'unit' | 'choices' | 'question_type' | 'answer_type' | 'precision'>,
): E.Either<StageError, string> => {
  const hint = mathVistaHint(problem);
  if (hint === undefined) {
    return E.left(
      new StageError(
        'mathvista-query',
        `problem ${problem.pid}`,
        null,
        'invalid',
        `no official hint for question_type ${problem.question_type}, answer_type ${problem.answer_type}, precision ${String(problem.precision)}`,
      ),
    );
  }
  const question = `Question: ${problem.question}${problem.unit !== null && problem.unit !== '' ? ` (Unit: ${problem.unit})` : ''}`;
  const choices =
    problem.choices !== null && problem.choices.length > 0
      ? [['Choices:', ...problem.choices.map((choice, i) => `(${String.fromCharCode(65 + i)}) ${choice}`)].join('\n')]
      : [];
  return E.right([hint, question, ...choices].join('\n'));
};
