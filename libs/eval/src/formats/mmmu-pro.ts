/**
 * MMMU-Pro (MMMU-Benchmark/MMMU, `mmmu-pro/`) files, docs/evaluation.md §3: the output JSON Lines written by
 * `infer/infer_*.py` and re-written by `evaluate.py` (a dataset row plus `response`, and after
 * scoring `pred_indexs` and `if_right`), and the prompt suffixes of `prompts.yaml`. `options` is a
 * Python list literal, read with `parsePythonStringList`. The prompt builder follows
 * `infer/infer_gpt.py` (`construct_prompt`, `replace_images_tokens`).
 */
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { parse as parseYaml } from 'yaml';
import { DecodeError, decodeWith, literalUnion } from '@rlflow/core';
import { decodeJsonLinesText, loadJsonLines, readText } from './load.js';
import { parsePythonLiteral, pythonStr, type PyLiteral } from './python-literal.js';

/** `if_right` as stored: a boolean, or the strings `"True"`/`"False"` some writers produce. */
export const MmmuProVerdict = literalUnion([true, false, 'True', 'False'], 'MmmuProVerdict');
export type MmmuProVerdict = t.TypeOf<typeof MmmuProVerdict>;

export const mmmuProVerdictValue = (verdict: MmmuProVerdict): boolean => verdict === true || verdict === 'True';

/**
 * One output row. `response` is the model text, or an object such as `{"error": "..."}` when the request
 * failed (the scorer then parses `''`). `options` is a Python list literal. Extra keys are kept.
 */
export const MmmuProOutputRow = t.intersection(
  [
    t.type({
      id: t.string,
      options: t.string,
      answer: t.string,
      response: t.union([t.string, t.UnknownRecord]),
    }),
    t.partial({
      question: t.string,
      explanation: t.string,
      img_type: t.string,
      topic_difficulty: t.string,
      subject: t.string,
      pred_indexs: t.string,
      if_right: MmmuProVerdict,
    }),
  ],
  'MmmuProOutputRow',
);
export type MmmuProOutputRow = t.TypeOf<typeof MmmuProOutputRow>;

export const decodeMmmuProOutput = (source: string): ((text: string) => E.Either<DecodeError, MmmuProOutputRow[]>) =>
  decodeJsonLinesText(MmmuProOutputRow, source);
export const loadMmmuProOutput = loadJsonLines(MmmuProOutputRow);

/** The number of items per setting; `evaluate.py::check_files` skips a file of any other length. */
export const MMMU_PRO_ITEMS = 1730;

/**
 * The options of a row: `ast.literal_eval(str(row["options"]))`, a list whose items are almost always
 * strings (one published row holds a nested list, `[['A', 'B', 'Not enough information']]`: one option).
 */
export const mmmuProOptions = (row: Pick<MmmuProOutputRow, 'id' | 'options'>): E.Either<DecodeError, PyLiteral[]> =>
  pipe(
    parsePythonLiteral(row.options),
    E.chain((value): E.Either<string, PyLiteral[]> => (Array.isArray(value) ? E.right([...(value as readonly PyLiteral[])]) : E.left('expected a list'))),
    E.mapLeft((why) => new DecodeError(`mmmu-pro row ${row.id}`, [`options: ${why}`])),
  );

export type MmmuProSetting = 'standard' | 'vision';
export type MmmuProMethod = 'cot' | 'direct';

/**
 * Setting and method from an output file name such as `gpt-4o_standard(10 options)_cot.jsonl`,
 * `gpt-4o_standard10_cot.jsonl` or `gpt-4o_vision_direct.jsonl`; `undefined` when the name says neither.
 */
export const mmmuProFileSetting = (
  fileName: string,
): { readonly model: string; readonly setting: MmmuProSetting; readonly method: MmmuProMethod; readonly variant: string } | undefined => {
  const base = fileName.replace(/^.*[\\/]/, '');
  const match = /^(?<model>.+?)_(?<variant>(?<setting>standard|vision)[^_]*)_(?<method>cot|direct)\.jsonl$/i.exec(base);
  const groups = match?.groups;
  if (groups === undefined) return undefined;
  return {
    model: groups['model']!,
    setting: groups['setting']!.toLowerCase() as MmmuProSetting,
    method: groups['method']!.toLowerCase() as MmmuProMethod,
    variant: groups['variant']!,
  };
};

/** `prompts.yaml`: the instruction appended to (standard) or sent instead of (vision) the question. */
export const MmmuProPrompts = t.type(
  {
    cot: t.type({ vision: t.string, standard: t.string }),
    direct: t.type({ vision: t.string, standard: t.string }),
  },
  'MmmuProPrompts',
);
export type MmmuProPrompts = t.TypeOf<typeof MmmuProPrompts>;

/** The official suffixes, as in `mmmu-pro/prompts.yaml` (the test checks them against the file). */
export const MMMU_PRO_PROMPTS: MmmuProPrompts = {
  cot: {
    vision:
      "Write out the multiple-choice question in the image and then solve it. The last line of your response should be of the following format: 'Answer: $LETTER' (without quotes) where LETTER is one of options. Think step by step before answering.",
    standard:
      "Answer the preceding multiple choice question. The last line of your response should be of the following format: 'Answer: $LETTER' (without quotes) where LETTER is one of options. Think step by step before answering.",
  },
  direct: {
    vision:
      "Answer with the option letter from the given choices directly. The last line of your response should be of the following format: 'Answer: $LETTER' (without quotes) where LETTER is one of options.",
    standard: 'Answer with the option letter from the given choices directly.',
  },
};

export const decodeMmmuProPrompts =
  (source: string) =>
  (text: string): E.Either<DecodeError, MmmuProPrompts> =>
    pipe(
      E.tryCatch(
        () => parseYaml(text) as unknown,
        (error) => new DecodeError(source, [`not valid YAML: ${error instanceof Error ? error.message : String(error)}`]),
      ),
      E.chain(decodeWith(MmmuProPrompts, source)),
    );

export const loadMmmuProPrompts = async (path: string): Promise<E.Either<DecodeError, MmmuProPrompts>> =>
  pipe(await readText(path), E.chain(decodeMmmuProPrompts(path)));

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** `A. opt0\nB. opt1 …` (`parse_options`). */
export const mmmuProOptionLines = (options: readonly PyLiteral[]): string =>
  options.map((option, i) => `${LETTERS[i] ?? String.fromCharCode(65 + i)}. ${pythonStr(option)}`).join('\n');

/** `replace_images_tokens`: `<image 1>` … `<image 7>` become `<image>`. */
export const replaceMmmuProImageTokens = (text: string): string => {
  let out = text;
  for (let i = 1; i < 8; i++) out = out.replaceAll(`<image ${i}>`, '<image>');
  return out;
};

/**
 * The text prompt of a setting: standard = `{question}\n{A. …}\n{suffix}` with image tokens replaced
 * (the images `image_1`…`image_7` follow the text in key order); vision = the suffix alone (the one
 * screenshot holds question and options).
 */
export const mmmuProPrompt = (
  setting: MmmuProSetting,
  method: MmmuProMethod,
  item: { readonly question: string; readonly options: readonly PyLiteral[] },
  prompts: MmmuProPrompts = MMMU_PRO_PROMPTS,
): string =>
  setting === 'vision'
    ? prompts[method].vision
    : replaceMmmuProImageTokens(`${item.question}\n${mmmuProOptionLines(item.options)}\n${prompts[method].standard}`);
